//! examples live in examples/*.rs
