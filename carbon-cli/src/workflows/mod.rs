//! The vendor's jobs as commands that are safe to re-run: upload and order, hollow
//! and order, the printed-parts export, waits and downloads; and `carbon api
//! check`, whether this build still matches the API.

pub mod api;
pub mod export;
pub mod files;
pub mod hollow;
pub mod order;
pub mod waits;
