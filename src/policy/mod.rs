//! The policy language: YAML surface types, loading files, `extends` and merging.

pub mod builtin;
pub(crate) mod load;
pub(crate) mod tree;
pub(crate) mod types;
pub mod yaml;

pub use load::{
    Chain, Document, ReadError, load_chain, load_chain_from_bytes, load_chain_from_stdin,
};
pub use tree::{TreeNode, TreeValue, pointer_segment, pointer_to_field};
pub use types::Policy;
