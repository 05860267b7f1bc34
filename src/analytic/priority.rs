//! Priority classes (placeholder, filled in below).
