//! `rdpgen build --target dsc...` (filled in by its issue).
