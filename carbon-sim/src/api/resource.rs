//! What every resource module's routes use: the request as routed, the reply
//! helpers, the world, and the HTTP and JSON names. Each resource module starts
//! with `use super::resource::*;`.

pub(super) use axum::http::{Method, StatusCode};
pub(super) use carbon_api_gen::types;
pub(super) use serde_json::{Value, json};

pub(super) use super::reply::*;
pub(super) use super::{Request, parse};
pub(super) use crate::world::World;
