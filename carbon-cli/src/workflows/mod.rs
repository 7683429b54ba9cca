//! The vendor's jobs as commands that are safe to re-run: upload and order, hollow
//! and order, the printed-parts export, waits and downloads.

pub mod export;
pub mod files;
pub mod hollow;
pub mod order;
pub mod waits;
