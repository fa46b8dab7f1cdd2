//! rdpgen-bench: build and fleet-diff speed measured against a floor (issue #8).
//!
//! Makes its own workloads in a scratch directory, builds the main crate with
//! `cargo build --release`, and prints, for each workload, the median time of rdpgen and of a
//! floor measured in the same run, interleaved with it, and their ratio:
//!
//! - (a) `rdpgen build examples/tier1.yaml --out DIR` (all available targets) vs
//!   `rdpgen --version` (process start);
//! - (b) one `rdpgen build` of 1,000 generated policies vs `cp -r` of the tree it produced;
//! - (c) `rdpgen diff examples/tier1.yaml DIR --format json --output FILE` over 10,000 host
//!   files vs `find DIR -type f -exec cat {} +` to /dev/null, with peak memory, and how it
//!   grows from 1 to 1,000,000 hosts (and (b) from 1 to 1,000 policies);
//! - (d) `rdpgen::formats::registry_pol::read_view` of a 100,000-entry Registry.pol, in-process, vs
//!   Samba's NDR parser (`ndr_unpack(preg.file, data)`) on the same bytes, timed inside Python;
//! - (e) `rdpgen report merge` of the JSON reports of (c)'s fleet audited in 4 shards vs `cat`
//!   of those reports (no target).
//!
//! Timings are never a failure: the exit status is 1 only when a command fails or crashes, and
//! the last line is `N passed, M failed` over the workloads that ran.

mod machine;
mod measure;
mod samba;
mod workloads;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use measure::{Paired, Sample, median};

const USAGE: &str = "\
usage: cargo run --release --manifest-path benches/Cargo.toml -- [OPTIONS]

  --quick            CI mode: 1 run each, 100 policies, 500 hosts, 10,000 pol entries,
                     no scaling table
  --reps N           timed runs per workload (default: (a) 21, (b) 5, (c) 5 or 3 when one
                     run takes over 10 s, (d) 11, (e) 5; quick: 1)
  --policies N       policies built in one invocation for (b) (default 1000)
  --hosts N          host files for (c) (default 10000)
  --pol-entries N    Registry.pol entries for (d) (default 100000)
  --only LIST        run only these workloads, e.g. `--only c,d`
  --no-scaling       skip the scaling tables: 1..N policies for (b), 1..--scale-to hosts
                     for (c) (on by default, off in --quick)
  --scale-to N       largest fleet of the (c) scaling table (default 1000000; hosts past
                     --hosts are hard links to the generated ones; 1,000,000 hosts take
                     about 10 minutes)
  --rdpgen PATH      time this binary instead of building the main crate
  --work DIR         scratch directory (default: a new one under $TMPDIR, removed at the end)
  --keep             keep the scratch directory
";

struct Options {
    quick: bool,
    reps: Option<usize>,
    policies: usize,
    hosts: usize,
    pol_entries: usize,
    only: Vec<char>,
    scaling: bool,
    scale_to: usize,
    rdpgen: Option<PathBuf>,
    work: Option<PathBuf>,
    keep: bool,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        quick: false,
        reps: None,
        policies: 1000,
        hosts: 10_000,
        pol_entries: 100_000,
        only: vec!['a', 'b', 'c', 'd', 'e'],
        scaling: true,
        scale_to: 1_000_000,
        rdpgen: None,
        work: None,
        keep: false,
    };
    let (mut policies, mut hosts, mut pol_entries) = (None, None, None);
    let mut args = std::env::args().skip(1);
    let number = |flag: &str, v: Option<String>| -> Result<usize, String> {
        v.and_then(|v| v.replace('_', "").parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{flag} needs a positive number"))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => o.quick = true,
            "--reps" => o.reps = Some(number("--reps", args.next())?),
            "--policies" => policies = Some(number("--policies", args.next())?),
            "--hosts" => hosts = Some(number("--hosts", args.next())?),
            "--pol-entries" => pol_entries = Some(number("--pol-entries", args.next())?),
            "--only" => {
                let list = args.next().ok_or("--only needs a list such as a,c")?;
                o.only = list
                    .split(',')
                    .map(|w| match w.trim().trim_matches(|c| c == '(' || c == ')') {
                        x @ ("a" | "b" | "c" | "d" | "e") => Ok(x.chars().next().unwrap_or('a')),
                        x => Err(format!("--only: unknown workload `{x}` (a, b, c, d, e)")),
                    })
                    .collect::<Result<_, _>>()?;
            }
            "--no-scaling" => o.scaling = false,
            "--scale-to" => o.scale_to = number("--scale-to", args.next())?,
            "--rdpgen" => o.rdpgen = Some(args.next().ok_or("--rdpgen needs a path")?.into()),
            "--work" => o.work = Some(args.next().ok_or("--work needs a path")?.into()),
            "--keep" => o.keep = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if o.quick {
        o.policies = 100;
        o.hosts = 500;
        o.pol_entries = 10_000;
        o.scaling = false;
        o.reps.get_or_insert(1);
    }
    o.policies = policies.unwrap_or(o.policies);
    o.hosts = hosts.unwrap_or(o.hosts);
    o.pol_entries = pol_entries.unwrap_or(o.pol_entries);
    Ok(o)
}

/// Where the harness stands: the repository root is the parent of this crate.
fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// `cargo build --release` of the main crate; returns the path of `rdpgen` that Cargo reports.
fn build_rdpgen(repo: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!(
        "building the main crate: cargo build --release (in {})",
        repo.display()
    );
    let output = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--bin",
            "rdpgen",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--manifest-path")
        .arg(repo.join("Cargo.toml"))
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("cargo build --release failed ({})", output.status));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "rdpgen")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| "cargo did not report the rdpgen executable".into())
}

fn git_describe(repo: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    };
    let head = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&[
        "status",
        "--porcelain",
        "--untracked-files=no",
        "--",
        "src",
        "Cargo.toml",
        "Cargo.lock",
    ])
    .is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head} + uncommitted changes in src/")
    } else {
        head
    }
}

fn rm(path: &Path) {
    if path.exists() {
        let _ = fs::remove_dir_all(path);
    }
}

fn ms(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 10.0 {
        format!("{s:.2} s")
    } else if s >= 0.1 {
        format!("{:.0} ms", s * 1e3)
    } else if s >= 0.001 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{:.0} µs", s * 1e6)
    }
}

/// KiB as decimal megabytes (the targets are in MB).
#[allow(clippy::cast_precision_loss)] // memory sizes far below 2^52
fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 * 1024.0 / 1e6)
}

enum Target {
    /// Subject median at most this many times the floor median.
    AtMost(f64),
    /// Floor median at least this many times the subject median.
    FasterBy(f64),
    /// No target: the ratio is shown, never judged.
    Unset,
}

struct Row {
    id: char,
    subject: String,
    floor: String,
    paired: Paired,
    target: Target,
    /// Peak memory target in decimal MB, if any.
    memory_mb: Option<f64>,
    /// A floor that could not be measured here, with the reason.
    floor_skipped: Option<String>,
    notes: Vec<String>,
    load: String,
}

impl Row {
    fn ratio_cell(&self) -> String {
        if self.floor_skipped.is_some() {
            return "n/a".into();
        }
        let r = self.paired.ratio();
        match self.target {
            Target::AtMost(_) | Target::Unset => format!("{r:.2}×"),
            Target::FasterBy(_) if r <= 1.0 => format!("{r:.3}× ({:.1}× faster)", 1.0 / r),
            Target::FasterBy(_) => format!("{r:.3}× ({r:.1}× slower)"),
        }
    }

    fn target_cell(&self) -> String {
        let mut t = match self.target {
            Target::AtMost(x) => format!("≤ {x}×"),
            Target::FasterBy(x) => format!("≥ {x}× faster"),
            Target::Unset => "none".into(),
        };
        if let Some(m) = self.memory_mb {
            let _ = write!(t, ", peak ≤ {m} MB");
        }
        t
    }

    /// `None` when the floor was skipped.
    #[allow(clippy::cast_precision_loss)] // KiB far below 2^52
    fn met(&self) -> Option<bool> {
        if self.floor_skipped.is_some() {
            return None;
        }
        let r = self.paired.ratio();
        let time_ok = match self.target {
            Target::AtMost(x) => r <= x,
            Target::FasterBy(x) => 1.0 / r >= x,
            Target::Unset => true,
        };
        let memory_ok = self
            .memory_mb
            .is_none_or(|m| self.paired.subject_peak_kib() as f64 * 1024.0 / 1e6 <= m);
        Some(time_ok && memory_ok)
    }

    fn peak_cell(&self) -> String {
        match self.paired.subject_peak_kib() {
            0 => "—".into(),
            k => mb(k),
        }
    }
}

struct Bench {
    opts: Options,
    repo: PathBuf,
    rdpgen: PathBuf,
    work: PathBuf,
    warmup: usize,
    load_window: Duration,
}

impl Bench {
    fn reps(&self, default: usize) -> usize {
        self.opts.reps.unwrap_or(default)
    }

    fn load_before(&self) -> String {
        let busy = machine::busy_percent(self.load_window)
            .map_or_else(|| "?".into(), |b| format!("{b:.0}%"));
        format!(
            "machine {busy} busy just before, load average {}",
            machine::loadavg()
        )
    }

    fn rdpgen(&self) -> Command {
        Command::new(&self.rdpgen)
    }

    fn err_file(&self, name: &str) -> PathBuf {
        self.work.join(format!("{name}.stderr"))
    }

    /// How (c) grows with the fleet: 1, 10, ... hosts up to `--scale-to`, each size a directory
    /// of hard links to the generated files (see [`workloads::link_fleet`]), removed after its
    /// runs. The report goes to /dev/null here (a million hosts make a 26 GB JSON report), so
    /// the rows time reading, auditing and serialising, not the disk.
    fn diff_scaling(
        &self,
        dir: &Path,
        files: &[PathBuf],
        err: &Path,
    ) -> Result<Vec<Scale>, String> {
        let top = self.opts.scale_to;
        let mut sizes: Vec<usize> = std::iter::successors(Some(1_usize), |s| s.checked_mul(10))
            .take_while(|&s| s < top)
            .collect();
        sizes.push(top);
        let mut out = Vec::new();
        for size in sizes {
            let sub_dir = dir.join(format!("scale-{size}"));
            let t = Instant::now();
            let bytes = workloads::link_fleet(files, &sub_dir, size)?;
            eprintln!(
                "(c) scaling: {size} hosts linked in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            // Fewer runs where one run takes minutes: 5 up to 10,000 hosts, 3 at 100,000,
            // then 1 with no warm-up.
            let (warmup, reps) = match size {
                ..=10_000 => (self.warmup, self.reps(5)),
                10_001..=100_000 => (self.warmup, self.reps(3).min(3)),
                _ => (0, 1),
            };
            let paired = measure::interleave(
                warmup,
                reps,
                || Self::cat(&sub_dir, err),
                || self.diff_hosts(&sub_dir, size, Path::new("/dev/null"), err),
            )?;
            eprintln!(
                "(c) scaling: {size} hosts: rdpgen {}, peak {}",
                ms(paired.subject_median()),
                mb(paired.subject_peak_kib())
            );
            rm(&sub_dir);
            out.push(Scale {
                size,
                bytes,
                paired,
            });
        }
        Ok(out)
    }

    /// How (b) grows with the number of policies: 1, 10, ... below `--policies` (the last row
    /// is (b) itself), built in one `rdpgen build` each, against `cp -r` of the tree each build
    /// wrote.
    fn build_scaling(&self, policies: &[PathBuf], err: &Path) -> Result<Vec<Scale>, String> {
        let dir = self.work.join("b");
        let mut out = Vec::new();
        let sizes = std::iter::successors(Some(1_usize), |s| s.checked_mul(10))
            .take_while(|&s| s < policies.len());
        for size in sizes {
            let tree = dir.join(format!("scale-{size}"));
            let copy = dir.join(format!("scale-{size}-copy"));
            let build = || {
                rm(&tree);
                measure::run(
                    self.rdpgen()
                        .arg("build")
                        .args(&policies[..size])
                        .arg("--out")
                        .arg(&tree),
                    None,
                    err,
                    &[0],
                )
            };
            build()?;
            let bytes = dir_bytes(&tree);
            let paired = measure::interleave(
                self.warmup,
                self.reps(if size >= 1000 { 3 } else { 5 }),
                || {
                    rm(&copy);
                    measure::run(
                        Command::new("cp").arg("-r").arg(&tree).arg(&copy),
                        None,
                        err,
                        &[0],
                    )
                },
                build,
            )?;
            rm(&tree);
            rm(&copy);
            out.push(Scale {
                size,
                bytes,
                paired,
            });
        }
        Ok(out)
    }

    /// (a) one realistic policy built to every available target vs process start.
    fn build_one(&self) -> Result<Row, String> {
        let dir = self.work.join("a");
        fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let policy = self.repo.join("examples/tier1.yaml");
        let out = dir.join("out");
        let load = self.load_before();
        let err = self.err_file("a");
        let paired = measure::interleave(
            self.warmup,
            self.reps(21),
            || measure::run(self.rdpgen().arg("--version"), None, &err, &[0]),
            || {
                rm(&out);
                measure::run(
                    self.rdpgen()
                        .arg("build")
                        .arg(&policy)
                        .arg("--out")
                        .arg(&out),
                    None,
                    &err,
                    &[0],
                )
            },
        )?;
        let files = count_files(&out);
        if files == 0 {
            return Err("(a) rdpgen build wrote no files".into());
        }
        Ok(Row {
            id: 'a',
            subject: format!("`rdpgen build examples/tier1.yaml` ({files} files)"),
            floor: "`rdpgen --version`".into(),
            paired,
            target: Target::AtMost(2.0),
            memory_mb: None,
            floor_skipped: None,
            notes: vec![],
            load,
        })
    }

    /// (b) N distinct policies in one `rdpgen build` vs `cp -r` of the produced tree.
    fn build_many(&self) -> Result<(Row, Vec<Scale>), String> {
        let dir = self.work.join("b");
        let n = self.opts.policies;
        let policies = workloads::policies(&dir.join("policies"), n)?;
        let prep = dir.join("tree");
        let err = self.err_file("b");
        rm(&prep);
        measure::run(
            self.rdpgen()
                .arg("build")
                .args(&policies)
                .arg("--out")
                .arg(&prep),
            None,
            &err,
            &[0],
        )?;
        let mut notes = Vec::new();
        let warnings = fs::read_to_string(&err).unwrap_or_default();
        if !warnings.trim().is_empty() {
            notes.push(format!(
                "rdpgen printed diagnostics for the generated policies: {}",
                warnings.lines().next().unwrap_or("")
            ));
        }
        let dirs = fs::read_dir(&prep)
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .count();
        if dirs != n {
            return Err(format!("(b) expected {n} policy directories, found {dirs}"));
        }
        let files = count_files(&prep);
        let out = dir.join("out");
        let copy = dir.join("copy");
        let load = self.load_before();
        let paired = measure::interleave(
            self.warmup,
            self.reps(5),
            || {
                rm(&copy);
                measure::run(
                    Command::new("cp").arg("-r").arg(&prep).arg(&copy),
                    None,
                    &err,
                    &[0],
                )
            },
            || {
                rm(&out);
                measure::run(
                    self.rdpgen()
                        .arg("build")
                        .args(&policies)
                        .arg("--out")
                        .arg(&out),
                    None,
                    &err,
                    &[0],
                )
            },
        )?;
        rm(&out);
        rm(&copy);
        let mut scaling = Vec::new();
        if self.opts.scaling {
            scaling = self.build_scaling(&policies, &err)?;
            scaling.push(Scale {
                size: n,
                bytes: dir_bytes(&prep),
                paired: paired.clone(),
            });
        }
        Ok((
            Row {
                id: 'b',
                subject: format!("`rdpgen build` of {n} policies ({files} files)"),
                floor: "`cp -r` of the output tree".into(),
                paired,
                target: Target::AtMost(3.0),
                memory_mb: None,
                floor_skipped: None,
                notes,
                load,
            },
            scaling,
        ))
    }

    /// `rdpgen diff` of the hosts in `hosts_dir`, its JSON report written to `report`.
    fn diff_hosts(
        &self,
        hosts_dir: &Path,
        count: usize,
        report: &Path,
        err: &Path,
    ) -> Result<Sample, String> {
        self.diff_hosts_as(hosts_dir, count, report, err, &["--format", "json"])
    }

    /// `rdpgen diff` of the hosts in `hosts_dir` with the report options `report_args`, the
    /// report written to `report`.
    fn diff_hosts_as(
        &self,
        hosts_dir: &Path,
        count: usize,
        report: &Path,
        err: &Path,
        report_args: &[&str],
    ) -> Result<Sample, String> {
        let sample = measure::run(
            self.rdpgen()
                .arg("diff")
                .arg(self.repo.join("examples/tier1.yaml"))
                .arg(hosts_dir)
                .args(report_args)
                .arg("--output")
                .arg(report),
            None,
            err,
            // 0 compliant, 1 drifted, 3 incomplete (`.reg` hosts verify only their keys).
            &[0, 1, 3],
        )?;
        let stderr = fs::read_to_string(err).unwrap_or_default();
        let summary = stderr
            .lines()
            .rev()
            .find(|l| l.contains(" hosts: "))
            .ok_or_else(|| format!("rdpgen diff printed no summary: {stderr}"))?;
        let numbers: Vec<usize> = summary
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|w| w.parse().ok())
            .collect();
        match numbers[..] {
            // hosts, compliant, drifted, incomplete, unreadable
            [hosts, _, _, _, 0] if hosts == count => {}
            _ => return Err(format!("rdpgen diff over {count} hosts said `{summary}`")),
        }
        Ok(sample)
    }

    /// The floor of (c): `find DIR -type f -exec cat {} +` to /dev/null. `find` hands `cat`
    /// as many files as fit in one argument list, so a million files never make one giant argv
    /// ("Argument list too long"); like rdpgen, it lists the directory itself.
    fn cat(dir: &Path, err: &Path) -> Result<Sample, String> {
        measure::run(
            Command::new("find")
                .arg(dir)
                .args(["-type", "f", "-exec", "cat", "{}", "+"]),
            None,
            err,
            &[0],
        )
    }

    /// (c) N host files diffed against one policy vs `cat` of the files, plus the scaling table.
    fn diff_fleet(&self) -> Result<(Vec<Row>, Vec<Scale>), String> {
        let dir = self.work.join("c");
        let n = self.opts.hosts;
        let hosts_dir = dir.join("hosts");
        let (files, mix) = workloads::hosts(&self.repo.join("examples/hosts"), &hosts_dir, n)?;
        let err = self.err_file("c");
        // One untimed run to learn the mix and how long a run takes.
        let report = dir.join("report.json");
        let first = self.diff_hosts(&hosts_dir, n, &report, &err)?;
        let summary = fs::read_to_string(&err).unwrap_or_default();
        let summary = summary
            .lines()
            .rev()
            .find(|l| l.contains(" hosts: "))
            .unwrap_or("")
            .to_owned();
        let reps = self.reps(if first.wall > Duration::from_secs(10) {
            3
        } else {
            5
        });
        let load = self.load_before();
        let paired = measure::interleave(
            self.warmup.saturating_sub(1),
            reps,
            || Self::cat(&hosts_dir, &err),
            || self.diff_hosts(&hosts_dir, n, &report, &err),
        )?;
        let report_bytes = fs::metadata(dir.join("report.json")).map_or(0, |m| m.len());
        let input_bytes: u64 = files
            .iter()
            .filter_map(|f| fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let notes = vec![format!(
            "{n} hosts ({} collector JSON, {} .reg; drift injected into {}): rdpgen said `{summary}`; \
             input {}, JSON report {}",
            mix.json,
            mix.reg,
            mix.drift_injected,
            mb(input_bytes / 1024),
            mb(report_bytes / 1024)
        )];
        let mut rows = vec![Row {
            id: 'c',
            subject: format!("`rdpgen diff examples/tier1.yaml DIR --format json` over {n} hosts"),
            floor: "`find DIR -type f -exec cat {} +` to /dev/null".into(),
            paired,
            target: Target::AtMost(3.0),
            memory_mb: Some(100.0),
            floor_skipped: None,
            notes,
            load,
        }];
        // The same fleet with the reports that print no passing check: the default text
        // report, and the JSON report of the findings only (what a fleet's CI keeps).
        for (label, args, file) in [
            ("(text report)", &[][..], "report.txt"),
            (
                "--format json --only-findings",
                &["--format", "json", "--only-findings"][..],
                "findings.json",
            ),
        ] {
            let report = dir.join(file);
            let load = self.load_before();
            let paired = measure::interleave(
                self.warmup.saturating_sub(1),
                reps,
                || Self::cat(&hosts_dir, &err),
                || self.diff_hosts_as(&hosts_dir, n, &report, &err, args),
            )?;
            let bytes = fs::metadata(&report).map_or(0, |m| m.len());
            rows.push(Row {
                id: 'c',
                subject: format!("`rdpgen diff examples/tier1.yaml DIR` {label} over {n} hosts"),
                floor: "`find DIR -type f -exec cat {} +` to /dev/null".into(),
                paired,
                target: Target::AtMost(3.0),
                memory_mb: Some(100.0),
                floor_skipped: None,
                notes: vec![format!("report {}", mb(bytes / 1024))],
                load,
            });
        }
        let scaling = if self.opts.scaling {
            self.diff_scaling(&dir, &files, &err)?
        } else {
            Vec::new()
        };
        Ok((rows, scaling))
    }

    /// (e) the (c) fleet audited in 4 shards (one `diff --format json` each, untimed), then
    /// `rdpgen report merge` of the 4 JSON reports into one JSON report, vs `cat` of the shard
    /// reports to /dev/null. No target: it shows what the last step of a sharded audit costs.
    fn merge_shards(&self) -> Result<Row, String> {
        const SHARDS: usize = 4;
        let dir = self.work.join("e");
        let n = self.opts.hosts;
        let hosts_dir = self.work.join("c/hosts");
        let (files, _) = workloads::hosts(&self.repo.join("examples/hosts"), &hosts_dir, n)?;
        let err = self.err_file("e");
        let mut reports = Vec::new();
        for k in 0..SHARDS {
            let slice = &files[k * n / SHARDS..(k + 1) * n / SHARDS];
            let shard = dir.join(format!("shard-{k}"));
            workloads::link_fleet(slice, &shard, slice.len())?;
            let report = dir.join(format!("shard-{k}.json"));
            self.diff_hosts(&shard, slice.len(), &report, &err)?;
            rm(&shard);
            reports.push(report);
        }
        let merged = dir.join("merged.json");
        let load = self.load_before();
        let paired = measure::interleave(
            self.warmup,
            self.reps(5),
            || measure::run(Command::new("cat").args(&reports), None, &err, &[0]),
            || {
                measure::run(
                    self.rdpgen()
                        .args(["report", "merge"])
                        .args(&reports)
                        .args(["--format", "json", "--output"])
                        .arg(&merged),
                    None,
                    &err,
                    &[0, 1, 3],
                )
            },
        )?;
        let input: u64 = reports
            .iter()
            .filter_map(|r| fs::metadata(r).ok())
            .map(|m| m.len())
            .sum();
        let summary = fs::read_to_string(&err).unwrap_or_default();
        let summary = summary
            .lines()
            .rev()
            .find(|l| l.contains(" hosts: "))
            .unwrap_or("")
            .to_owned();
        if !summary.starts_with(&format!("{n} hosts: ")) {
            return Err(format!("report merge of {n} hosts said `{summary}`"));
        }
        Ok(Row {
            id: 'e',
            subject: format!("`rdpgen report merge` of {SHARDS} shard reports ({n} hosts) to JSON"),
            floor: "`cat` of the shard reports to /dev/null".into(),
            paired,
            target: Target::Unset,
            memory_mb: None,
            floor_skipped: None,
            notes: vec![format!(
                "{SHARDS} shards of {} hosts, {} of JSON reports in: rdpgen said `{summary}` (no target; the merge reads each report whole)",
                n / SHARDS,
                mb(input / 1024)
            )],
            load,
        })
    }

    /// (d) a large Registry.pol parsed in-process vs Samba's NDR parser inside Python.
    fn parse_pol(&self) -> Result<Row, String> {
        let n = self.opts.pol_entries;
        let bytes = workloads::registry_pol(n)?;
        let path = self.work.join(format!("d-{n}.pol"));
        fs::write(&path, &bytes).map_err(|e| e.to_string())?;
        // The borrowing reader is the subject; the owning one (`Vec<PolEntry>`, three heap
        // blocks an entry) is timed after it and shown in the notes.
        let read = || -> Result<Sample, String> {
            let start = Instant::now();
            let view = rdpgen::formats::registry_pol::read_view(std::hint::black_box(&bytes));
            let wall = start.elapsed();
            let view = view.map_err(|e| format!("rdpgen cannot read the generated file: {e}"))?;
            if view.len() != n {
                return Err(format!("rdpgen read {} entries, expected {n}", view.len()));
            }
            drop(std::hint::black_box(view));
            Ok(Sample::in_process(wall))
        };
        let read_owned = || -> Result<Duration, String> {
            let start = Instant::now();
            let entries = rdpgen::formats::registry_pol::read(std::hint::black_box(&bytes));
            let wall = start.elapsed();
            let entries =
                entries.map_err(|e| format!("rdpgen cannot read the generated file: {e}"))?;
            if entries.len() != n {
                return Err(format!(
                    "rdpgen read {} entries, expected {n}",
                    entries.len()
                ));
            }
            drop(std::hint::black_box(entries));
            Ok(wall)
        };
        let load = self.load_before();
        let mut notes = vec![format!(
            "{n} entries, {} (every value type, `**del.` and `**delvals.`)",
            mb(bytes.len() as u64 / 1024)
        )];
        let (paired, floor_skipped) = match samba::Samba::start(&path) {
            Ok(mut samba) => {
                let floor = || -> Result<Sample, String> {
                    let (wall, found) = samba.unpack()?;
                    if found != n {
                        return Err(format!("Samba read {found} entries, expected {n}"));
                    }
                    Ok(Sample::in_process(wall))
                };
                (
                    measure::interleave(self.warmup, self.reps(11), floor, read)?,
                    None,
                )
            }
            Err(samba::Unavailable(reason)) => {
                let message = format!(
                    "the Samba floor of (d) is SKIPPED: {reason}; install it with \
                     `../shared/validators/install.sh samba` (Debian python3-samba, used through {})",
                    samba::python()
                );
                eprintln!(
                    "\n!!!!!!!!\n!!! {message}\n!!! rdpgen's reader is still timed; no ratio for (d)\n!!!!!!!!\n"
                );
                notes.push(message);
                let mut paired = Paired::default();
                for _ in 0..self.warmup {
                    read()?;
                }
                for _ in 0..self.reps(11) {
                    paired.subject.push(read()?);
                }
                (paired, Some(reason))
            }
        };
        let owned = (0..self.reps(11))
            .map(|_| read_owned())
            .collect::<Result<Vec<_>, _>>()?;
        notes.push(format!(
            "`registry_pol::read` (owned `Vec<PolEntry>`), timed after: median {}",
            ms(measure::median(&owned))
        ));
        Ok(Row {
            id: 'd',
            subject: format!("`registry_pol::read_view`, {n} entries (in-process)"),
            floor: "Samba `ndr_unpack(preg.file, data)` (in Python, timed inside)".into(),
            paired,
            target: Target::FasterBy(20.0),
            memory_mb: None,
            floor_skipped,
            notes,
            load,
        })
    }
}

/// One row of a scaling table: the size, the bytes of its input (hosts) or output (policies).
struct Scale {
    size: usize,
    bytes: u64,
    paired: Paired,
}

fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                dir_bytes(&p)
            } else {
                fs::metadata(&p).map_or(0, |m| m.len())
            }
        })
        .sum()
}

fn count_files(dir: &Path) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let p = e.path();
            if p.is_dir() { count_files(&p) } else { 1 }
        })
        .sum()
}

fn print_table(rows: &[Row], quick: bool) {
    println!();
    println!(
        "| workload | rdpgen (median) | floor | floor (median) | ratio | target | met | peak RSS | runs |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    for r in rows {
        let met = match r.met() {
            None => "floor skipped",
            Some(true) => "yes",
            Some(false) => "**no**",
        };
        let floor_median = if r.floor_skipped.is_some() {
            "skipped".into()
        } else {
            ms(r.paired.floor_median())
        };
        println!(
            "| ({}) {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            r.id,
            r.subject,
            ms(r.paired.subject_median()),
            r.floor,
            floor_median,
            r.ratio_cell(),
            r.target_cell(),
            met,
            r.peak_cell(),
            r.paired.subject.len()
        );
    }
    if quick {
        println!(
            "\nquick mode: reduced sizes and one run each; the ratios prove the harness works, they measure nothing"
        );
    }
    println!();
    for r in rows {
        let spread = |s: &[Sample]| {
            let walls: Vec<Duration> = s.iter().map(|x| x.wall).collect();
            match (walls.iter().min(), walls.iter().max()) {
                (Some(lo), Some(hi)) => {
                    format!("{}..{} (median {})", ms(*lo), ms(*hi), ms(median(&walls)))
                }
                _ => "-".into(),
            }
        };
        println!("({}) {}", r.id, r.load);
        println!("    rdpgen: {}", spread(&r.paired.subject));
        if r.paired.subject_cpu_median() > Duration::ZERO {
            println!(
                "    rdpgen CPU time (user+sys), median: {}",
                ms(r.paired.subject_cpu_median())
            );
        }
        if r.floor_skipped.is_none() {
            println!("    floor:  {}", spread(&r.paired.floor));
            if r.paired.floor_peak_kib() > 0 {
                println!("    floor peak RSS: {}", mb(r.paired.floor_peak_kib()));
            }
        }
        for note in &r.notes {
            println!("    {note}");
        }
    }
}

/// `units` heads the size column, `one` the per-item column.
fn print_scaling(
    title: &str,
    (units, one): (&str, &str),
    bytes: &str,
    floor: &str,
    scaling: &[Scale],
) {
    if scaling.is_empty() {
        return;
    }
    println!("\n{title}:\n");
    println!(
        "| {units} | {bytes} | rdpgen (median) | per {one} | CPU (median) | peak RSS | {floor} (median) | ratio | runs |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for Scale {
        size,
        bytes,
        paired: p,
    } in scaling
    {
        let per = p.subject_median() / u32::try_from(*size).unwrap_or(u32::MAX);
        println!(
            "| {size} | {} | {} | {} | {} | {} | {} | {:.2}× | {} |",
            mb(bytes / 1024),
            ms(p.subject_median()),
            ms(per),
            ms(p.subject_cpu_median()),
            mb(p.subject_peak_kib()),
            ms(p.floor_median()),
            p.ratio(),
            p.subject.len()
        );
    }
}

/// What was measured, on what, and how busy the machine already was.
fn print_header(
    opts: &Options,
    repo: &Path,
    rdpgen: &Path,
    built: &Path,
    load_window: Duration,
) -> Result<(), String> {
    let version = Command::new(rdpgen)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .map_err(|e| format!("cannot run `{}`: {e}", rdpgen.display()))?;
    let m = machine::Machine::probe();
    println!("# rdpgen-bench{}", if opts.quick { " --quick" } else { "" });
    println!(
        "binary: {version} (release, commit {}), copied from {}",
        git_describe(repo),
        built.display()
    );
    println!(
        "machine: {} cores ({}), {} memory, Linux {}",
        m.cores, m.model, m.memory, m.kernel
    );
    let busy =
        machine::busy_percent(load_window).map_or_else(|| "?".into(), |b| format!("{b:.0}%"));
    println!(
        "load at start: machine {busy} busy (others), load average {}",
        machine::loadavg()
    );
    Ok(())
}

fn run() -> Result<bool, String> {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            print!("{USAGE}");
            return Ok(true);
        }
        Err(e) => return Err(format!("{e}\n{USAGE}")),
    };
    let started = Instant::now();
    let repo = repo_root();
    let work = match &opts.work {
        Some(w) => w.clone(),
        None => std::env::temp_dir().join(format!("rdpgen-bench-{}", std::process::id())),
    };
    rm(&work);
    fs::create_dir_all(work.join("bin")).map_err(|e| format!("{}: {e}", work.display()))?;
    let built = match &opts.rdpgen {
        Some(p) => p.clone(),
        None => build_rdpgen(&repo)?,
    };
    // Time a private copy: other builds of the work tree may replace target/release/rdpgen
    // while the harness runs, and every sample must come from the same binary.
    let rdpgen = work.join("bin/rdpgen");
    fs::copy(&built, &rdpgen).map_err(|e| format!("cannot copy `{}`: {e}", built.display()))?;
    let load_window = Duration::from_millis(if opts.quick { 250 } else { 1000 });
    print_header(&opts, &repo, &rdpgen, &built, load_window)?;
    println!("scratch: {}", work.display());
    let bench = Bench {
        warmup: usize::from(!opts.quick),
        load_window,
        rdpgen,
        repo,
        work: work.clone(),
        opts,
    };
    let mut rows = Vec::new();
    let mut scaling = Vec::new();
    let mut build_scaling = Vec::new();
    let mut failed = Vec::new();
    for id in ['a', 'b', 'c', 'd', 'e'] {
        if !bench.opts.only.contains(&id) {
            continue;
        }
        eprintln!("running ({id}) ...");
        let t = Instant::now();
        let result = match id {
            'a' => bench.build_one().map(|row| vec![row]),
            'b' => bench.build_many().map(|(row, s)| {
                build_scaling = s;
                vec![row]
            }),
            'c' => bench.diff_fleet().map(|(rows, s)| {
                scaling = s;
                rows
            }),
            'd' => bench.parse_pol().map(|row| vec![row]),
            _ => bench.merge_shards().map(|row| vec![row]),
        };
        match result {
            Ok(done) => {
                eprintln!("({id}) done in {:.1} s", t.elapsed().as_secs_f64());
                rows.extend(done);
            }
            Err(e) => {
                eprintln!("FAILED ({id}): {e}");
                failed.push(id);
            }
        }
    }
    print_table(&rows, bench.opts.quick);
    print_scaling(
        "how (b) grows with the number of policies (the first N of the generated policies, one `rdpgen build` each)",
        ("policies", "policy"),
        "output",
        "`cp -r` floor",
        &build_scaling,
    );
    print_scaling(
        "how (c) grows with the fleet (same policy; hosts beyond the generated ones are hard links to them; report to /dev/null)",
        ("hosts", "host"),
        "input",
        "`find -exec cat` floor",
        &scaling,
    );
    let busy =
        machine::busy_percent(load_window).map_or_else(|| "?".into(), |b| format!("{b:.0}%"));
    println!(
        "\nload at end: machine {busy} busy (others), load average {}; total {:.1} s",
        machine::loadavg(),
        started.elapsed().as_secs_f64()
    );
    if bench.opts.keep {
        println!("scratch kept: {}", work.display());
    } else {
        rm(&work);
    }
    for id in &failed {
        println!("FAILED: ({id})");
    }
    println!("{} passed, {} failed", rows.len(), failed.len());
    Ok(failed.is_empty())
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("rdpgen-bench: {e}");
            println!("0 passed, 1 failed");
            ExitCode::FAILURE
        }
    }
}
