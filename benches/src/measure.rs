//! Timing a child process: wall time from just before `spawn` to the return of `wait4`, and the
//! child's own CPU time and peak resident set from the `rusage` that `wait4` returns for that
//! one child (so no `/usr/bin/time` is needed and no other child's peak leaks in, as it would
//! with `RUSAGE_CHILDREN`). Also medians and the interleaving of floor and subject runs.

use std::fs::File;
use std::io;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One measured run.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    /// User plus system CPU time of the child.
    pub cpu: Duration,
    /// Peak resident set of the child, KiB (`ru_maxrss` on Linux).
    pub max_rss_kib: u64,
}

impl Sample {
    /// A run timed in this process (no child): only the wall time is known.
    pub fn in_process(wall: Duration) -> Self {
        Self {
            wall,
            cpu: Duration::ZERO,
            max_rss_kib: 0,
        }
    }
}

fn timeval(tv: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(tv.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(tv.tv_usec).unwrap_or(0))
}

/// Runs `command` with standard input closed, standard output to `stdout` (or /dev/null) and
/// standard error to the file `stderr`, and measures it. An exit code outside `ok_codes` or a
/// signal is an error that quotes the end of the standard error.
pub fn run(
    command: &mut Command,
    stdout: Option<&Path>,
    stderr: &Path,
    ok_codes: &[i32],
) -> Result<Sample, String> {
    let description: String = format!("{command:?}").chars().take(300).collect();
    let describe = || description.clone();
    let err_file = File::create(stderr).map_err(|e| format!("{}: {e}", stderr.display()))?;
    let out: Stdio = match stdout {
        Some(path) => File::create(path)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .into(),
        None => Stdio::null(),
    };
    command.stdin(Stdio::null()).stdout(out).stderr(err_file);
    let start = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", describe()))?;
    let pid = libc::pid_t::try_from(child.id()).map_err(|e| e.to_string())?;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = loop {
        // SAFETY: `pid` is our own child, not yet reaped (std's `Child` is never waited on);
        // `status` and `usage` are valid for writes.
        let r = unsafe { libc::wait4(pid, &raw mut status, 0, &raw mut usage) };
        if r == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let wall = start.elapsed();
    drop(child);
    if reaped != pid {
        return Err(format!(
            "wait4 failed for {}: {}",
            describe(),
            io::Error::last_os_error()
        ));
    }
    let tail = || {
        let text = std::fs::read_to_string(stderr).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    };
    if libc::WIFSIGNALED(status) {
        return Err(format!(
            "{} was killed by signal {}\n{}",
            describe(),
            libc::WTERMSIG(status),
            tail()
        ));
    }
    let code = libc::WEXITSTATUS(status);
    if !ok_codes.contains(&code) {
        return Err(format!("{} exited with {code}\n{}", describe(), tail()));
    }
    Ok(Sample {
        wall,
        cpu: timeval(usage.ru_utime) + timeval(usage.ru_stime),
        max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    })
}

/// The median; the mean of the two middle values for an even count.
pub fn median(values: &[Duration]) -> Duration {
    let mut v = values.to_vec();
    v.sort();
    match v.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2,
    }
}

/// Floor and subject samples of one workload.
#[derive(Debug, Default, Clone)]
pub struct Paired {
    pub floor: Vec<Sample>,
    pub subject: Vec<Sample>,
}

impl Paired {
    pub fn floor_median(&self) -> Duration {
        median(&self.floor.iter().map(|s| s.wall).collect::<Vec<_>>())
    }

    pub fn subject_median(&self) -> Duration {
        median(&self.subject.iter().map(|s| s.wall).collect::<Vec<_>>())
    }

    pub fn subject_cpu_median(&self) -> Duration {
        median(&self.subject.iter().map(|s| s.cpu).collect::<Vec<_>>())
    }

    /// Subject median divided by floor median.
    pub fn ratio(&self) -> f64 {
        let floor = self.floor_median().as_secs_f64();
        if floor == 0.0 {
            return f64::NAN;
        }
        self.subject_median().as_secs_f64() / floor
    }

    pub fn subject_peak_kib(&self) -> u64 {
        self.subject
            .iter()
            .map(|s| s.max_rss_kib)
            .max()
            .unwrap_or(0)
    }

    pub fn floor_peak_kib(&self) -> u64 {
        self.floor.iter().map(|s| s.max_rss_kib).max().unwrap_or(0)
    }
}

/// Runs `warmup` untimed pairs, then `reps` timed pairs, alternating which of the two goes
/// first (floor–subject, subject–floor, ...) so that a slow drift in machine load falls on
/// both alike.
pub fn interleave(
    warmup: usize,
    reps: usize,
    mut floor: impl FnMut() -> Result<Sample, String>,
    mut subject: impl FnMut() -> Result<Sample, String>,
) -> Result<Paired, String> {
    for _ in 0..warmup {
        subject()?;
        floor()?;
    }
    let mut paired = Paired::default();
    for rep in 0..reps {
        if rep % 2 == 0 {
            paired.floor.push(floor()?);
            paired.subject.push(subject()?);
        } else {
            paired.subject.push(subject()?);
            paired.floor.push(floor()?);
        }
    }
    Ok(paired)
}
