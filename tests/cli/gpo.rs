//! `rdpgen build --target gpo...` (filled in by its issue).
