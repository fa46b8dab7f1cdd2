//! Reading policy files and resolving `extends`: every file of the chain is read once, parsed
//! with limits, and listed in merge order. Problems in the files are diagnostics; only an
//! unreadable top-level file is an I/O error.

use std::fs;
use std::path::{Component, Path, PathBuf};

use super::builtin;
use super::tree::{TreeNode, TreeValue};
use super::yaml::{self, Span, YamlErrorKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Location, Origin, SourceFile, Sources};

/// How many files an `extends` chain may nest.
pub const MAX_EXTENDS_DEPTH: usize = 16;

/// A parsed policy file.
#[derive(Debug, Clone)]
pub struct Document {
    pub file: FileId,
    pub tree: TreeNode,
}

/// A policy file and everything it extends, in merge order (bases first, the file last).
#[derive(Debug, Default)]
pub struct Chain {
    pub documents: Vec<Document>,
    pub diagnostics: Vec<Diagnostic>,
}

/// The top-level file could not be read at all.
#[derive(Debug, thiserror::Error)]
#[error("cannot read `{path}`: {source}")]
pub struct ReadError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// Loads `path` and its `extends` chain.
///
/// # Errors
/// Only when `path` itself cannot be opened or read; everything else is a diagnostic.
pub fn load_chain(path: &Path, sources: &mut Sources) -> Result<Chain, ReadError> {
    let resolved = fs::canonicalize(path).ok();
    let canonical_path = resolved.clone().unwrap_or_else(|| normalize(path));
    // The tree is the one the named path lives in (where the link is, for a symbolic link).
    // A link that leads out of it is refused unread, like an `extends` entry (RDP024), so a
    // pull request cannot add `policy.yaml -> /proc/self/environ` and have rdpgen quote it.
    let link_dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let link_dir = canonical(link_dir);
    let root = policy_tree_root(&link_dir.join(path.file_name().unwrap_or_default()));
    if resolved.is_some_and(|p| !p.starts_with(&root)) {
        let mut chain = Chain::default();
        chain.diagnostics.push(
            Diagnostic::new(
                Code::ExtendsOutsideTree,
                format!(
                    "`{}` is a symbolic link to a file outside its policy tree `{}`; rdpgen does not read it",
                    path.display(),
                    root.display()
                ),
                None,
            )
            .with_help("name the real file, inside the repository of the policy"),
        );
        return Ok(chain);
    }
    let bytes = read_bounded(path).map_err(|source| ReadError {
        path: path.display().to_string(),
        source,
    })?;
    let mut loader = Loader {
        sources,
        chain: Chain::default(),
        stack: Vec::new(),
        root,
    };
    let origin = Origin::File(canonical_path);
    let file = loader.add_source(origin.clone(), path.display().to_string(), &bytes);
    loader.visit(file, origin);
    Ok(loader.chain)
}

/// Loads a policy read from standard input (`-`): named `<stdin>`, with relative `extends`
/// resolved against the working directory, inside its policy tree (as for a file there).
///
/// # Errors
/// Standard input cannot be read, or holds more than the policy size limit.
pub fn load_chain_from_stdin(sources: &mut Sources) -> Result<Chain, ReadError> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(yaml::MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError {
            path: "<stdin>".into(),
            source,
        })?;
    Ok(load_chain_from_bytes(
        "<stdin>",
        &bytes,
        Path::new("."),
        sources,
    ))
}

/// Loads a policy given as bytes, named `name` in messages, as if it were a file of that name in
/// `dir`: relative `extends` resolve against `dir`, inside its policy tree. The size limit and
/// every other check apply as for a file.
#[must_use]
pub fn load_chain_from_bytes(name: &str, bytes: &[u8], dir: &Path, sources: &mut Sources) -> Chain {
    let virtual_path = canonical(dir).join(name);
    let mut loader = Loader {
        sources,
        chain: Chain::default(),
        stack: Vec::new(),
        root: policy_tree_root(&virtual_path),
    };
    let origin = Origin::File(virtual_path);
    let file = loader.add_source(origin.clone(), name.into(), bytes);
    loader.visit(file, origin);
    loader.chain
}

/// Reads a regular file, at most one byte more than the limit, so a huge file costs no memory
/// and a FIFO or device never hangs the run.
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    crate::fsread::read_regular(path, yaml::MAX_FILE_BYTES as u64).map_err(|e| match e {
        crate::fsread::ReadRefused::Io(e) => e,
        other => std::io::Error::other(other.to_string()),
    })
}

/// The tree `extends` may read from: the nearest ancestor of the policy file that holds a
/// `.git` entry (the repository the policy lives in), else the policy file's own directory. A
/// pull request cannot make rdpgen read — and quote in its messages — files outside it.
#[must_use]
pub fn policy_tree_root(canonical_file: &Path) -> PathBuf {
    let dir = canonical_file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    dir.ancestors()
        .find(|a| a.join(".git").exists())
        .map_or(dir.clone(), Path::to_path_buf)
}

fn canonical(path: &Path) -> PathBuf {
    fs::canonicalize(path).unwrap_or_else(|_| normalize(path))
}

/// Removes `.` and resolves `..` lexically, for display and as a fallback identity.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() && !out.has_root() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

struct Loader<'a> {
    sources: &'a mut Sources,
    chain: Chain,
    /// Files being resolved, for cycle detection and chain messages.
    stack: Vec<(Origin, String)>,
    /// Relative `extends` must resolve inside this directory (see [`policy_tree_root`]).
    root: PathBuf,
}

/// A parsed file kept in `Sources`; `None` when it did not parse.
struct Parsed {
    tree: Option<TreeNode>,
}

impl Loader<'_> {
    /// Registers a file's bytes as a source, reporting size and encoding problems.
    fn add_source(&mut self, origin: Origin, name: String, bytes: &[u8]) -> FileId {
        if bytes.len() > yaml::MAX_FILE_BYTES {
            let id = self
                .sources
                .add(SourceFile::new(origin, name.clone(), String::new()));
            self.chain.diagnostics.push(
                Diagnostic::new(
                    Code::FileTooLarge,
                    format!(
                        "`{name}` is larger than {} KiB; policy files are small, so rdpgen does not parse it",
                        yaml::MAX_FILE_BYTES / 1024
                    ),
                    Some(Location {
                        file: id,
                        span: Span::default(),
                    }),
                ),
            );
            return id;
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match std::str::from_utf8(bytes) {
            Ok(text) => self
                .sources
                .add(SourceFile::new(origin, name, text.to_string())),
            Err(e) => {
                let valid = e.valid_up_to();
                let text = String::from_utf8_lossy(bytes).into_owned();
                let id = self.sources.add(SourceFile::new(origin, name, text));
                self.chain.diagnostics.push(
                    Diagnostic::new(
                        Code::NotUtf8,
                        format!("the file is not UTF-8: invalid byte 0x{:02X}", bytes[valid]),
                        Some(Location {
                            file: id,
                            span: Span::new(valid, valid + 1),
                        }),
                    )
                    .with_help("save the file as UTF-8"),
                );
                id
            }
        }
    }

    /// Parses a registered source, unless an earlier problem (size, encoding) stopped it.
    fn parse(&mut self, file: FileId) -> Parsed {
        let blocked = self
            .chain
            .diagnostics
            .iter()
            .any(|d| d.location.is_some_and(|l| l.file == file));
        if blocked {
            return Parsed { tree: None };
        }
        let text = &self.sources.get(file).text;
        if text.trim().is_empty()
            || text
                .lines()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            self.chain.diagnostics.push(Diagnostic::new(
                Code::EmptyFile,
                "the file is empty: a policy needs at least `rdpgen: 1` and `name`",
                Some(Location {
                    file,
                    span: Span::default(),
                }),
            ));
            return Parsed { tree: None };
        }
        match yaml::parse(text) {
            Ok(node) => {
                let tags = yaml::explicit_tags(&node, text);
                if !tags.is_empty() {
                    for span in tags {
                        let tag = text.get(span.start..span.end).unwrap_or("!").to_string();
                        self.chain.diagnostics.push(
                            Diagnostic::new(
                                Code::ExplicitTag,
                                format!("the explicit YAML tag `{tag}` is not allowed in a policy"),
                                Some(Location { file, span }),
                            )
                            .with_label("a tag changes how the value is read")
                            .with_help("remove the tag; quote the value if it must be a string"),
                        );
                    }
                    return Parsed { tree: None };
                }
                let tree = TreeNode::from_yaml(&node, file);
                if matches!(tree.value, TreeValue::Map(_)) {
                    Parsed { tree: Some(tree) }
                } else {
                    self.chain.diagnostics.push(
                        Diagnostic::new(
                            Code::NotAMapping,
                            format!(
                                "the document is a {}, not a mapping of policy keys",
                                node.value.type_name()
                            ),
                            Some(tree.location),
                        )
                        .with_help("a policy starts with `rdpgen: 1` and `name: ...`"),
                    );
                    Parsed { tree: None }
                }
            }
            Err(e) => {
                let code = match e.kind {
                    YamlErrorKind::Syntax | YamlErrorKind::NonStringKey => Code::YamlSyntax,
                    YamlErrorKind::DuplicateKey => Code::DuplicateKey,
                    YamlErrorKind::MultipleDocuments => Code::MultipleDocuments,
                    YamlErrorKind::Limit => Code::ResourceLimit,
                };
                let span = e.span.unwrap_or_default();
                self.chain.diagnostics.push(Diagnostic::new(
                    code,
                    e.message,
                    Some(Location { file, span }),
                ));
                Parsed { tree: None }
            }
        }
    }

    fn chain_text(&self, last: &str) -> String {
        self.stack
            .iter()
            .map(|(_, name)| name.as_str())
            .chain(std::iter::once(last))
            .collect::<Vec<_>>()
            .join(" → ")
    }

    /// Resolves `file`'s bases depth-first, then appends the file itself.
    fn visit(&mut self, file: FileId, origin: Origin) {
        let Some(tree) = self.parse(file).tree else {
            return;
        };
        let name = self.sources.get(file).name.clone();
        self.stack.push((origin.clone(), name));
        for (entry, location) in extends_entries(&tree) {
            self.visit_base(file, &entry, location);
        }
        self.stack.pop();
        self.chain.documents.push(Document { file, tree });
    }

    fn visit_base(&mut self, from: FileId, entry: &str, location: Location) {
        let is_path = entry.starts_with("./")
            || entry.starts_with("../")
            || entry.starts_with('/')
            || entry.ends_with(".yaml")
            || entry.ends_with(".yml");
        let (origin, name) = if is_path {
            let Some(base_dir) = self
                .sources
                .get(from)
                .path()
                .map(|p| p.parent().map(Path::to_path_buf).unwrap_or_default())
            else {
                self.chain.diagnostics.push(Diagnostic::new(
                    Code::ExtendsMissing,
                    format!("a built-in baseline cannot extend the file `{entry}`"),
                    Some(location),
                ));
                return;
            };
            let shown_dir = Path::new(&self.sources.get(from).name)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default();
            let resolved = base_dir.join(entry);
            let name = normalize(&shown_dir.join(entry)).display().to_string();
            (Origin::File(canonical(&resolved)), name)
        } else {
            if builtin::baseline(entry).is_none() {
                let known: Vec<&str> = builtin::names().collect();
                let mut d = Diagnostic::new(
                    Code::UnknownBaseline,
                    format!(
                        "unknown built-in baseline `{entry}` (chain: {})",
                        self.chain_text(entry)
                    ),
                    Some(location),
                );
                d = match crate::diagnostic::suggest(entry, known.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help(format!(
                        "built-in baselines: {}; files start with `./` or end in `.yaml`",
                        known.join(", ")
                    )),
                };
                self.chain.diagnostics.push(d);
                return;
            }
            (
                Origin::Builtin(entry.to_string()),
                format!("builtin:{entry}"),
            )
        };

        if let Origin::File(target) = &origin
            && !target.starts_with(&self.root)
        {
            self.chain.diagnostics.push(
                Diagnostic::new(
                    Code::ExtendsOutsideTree,
                    format!(
                        "`{name}` is outside the policy tree `{}` (chain: {})",
                        self.root.display(),
                        self.chain_text(&name)
                    ),
                    Some(location),
                )
                .with_help("keep bases inside the repository of the policy; rdpgen does not read files outside it"),
            );
            return;
        }
        if self.stack.iter().any(|(o, _)| *o == origin) {
            self.chain.diagnostics.push(
                Diagnostic::new(
                    Code::ExtendsCycle,
                    format!("`extends` cycle: {}", self.chain_text(&name)),
                    Some(location),
                )
                .with_label("this entry closes the cycle"),
            );
            return;
        }
        if self.stack.len() >= MAX_EXTENDS_DEPTH {
            self.chain.diagnostics.push(Diagnostic::new(
                Code::ExtendsCycle,
                format!(
                    "`extends` nests deeper than {MAX_EXTENDS_DEPTH} files: {}",
                    self.chain_text(&name)
                ),
                Some(location),
            ));
            return;
        }

        let file = if let Some(existing) = self.sources.find(&origin) {
            existing
        } else {
            let bytes = match &origin {
                Origin::Builtin(n) => builtin::baseline(n).unwrap_or_default().as_bytes().to_vec(),
                Origin::File(path) => match read_bounded(path) {
                    Ok(b) => b,
                    Err(e) => {
                        let code = if e.kind() == std::io::ErrorKind::NotFound {
                            Code::ExtendsMissing
                        } else {
                            Code::ExtendsUnreadable
                        };
                        let what = if code == Code::ExtendsMissing {
                            "does not exist".to_string()
                        } else {
                            format!("cannot be read: {e}")
                        };
                        self.chain.diagnostics.push(
                            Diagnostic::new(
                                code,
                                format!("`{name}` {what} (chain: {})", self.chain_text(&name)),
                                Some(location),
                            )
                            .with_label("named here"),
                        );
                        return;
                    }
                },
            };
            self.add_source(origin.clone(), name, &bytes)
        };
        self.visit(file, origin);
    }
}

/// The string entries of a document's `extends` list with their locations. Entries of the
/// wrong type are left to schema validation.
fn extends_entries(tree: &TreeNode) -> Vec<(String, Location)> {
    let Some(node) = tree.get("/extends") else {
        return Vec::new();
    };
    match &node.value {
        TreeValue::Seq(items) => items
            .iter()
            .filter_map(|item| match &item.value {
                TreeValue::Str { text, .. } => Some((text.clone(), item.location)),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
