//! G/G/1 and G/G/c approximations (placeholder).
