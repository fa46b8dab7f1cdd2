//! What the numbers were measured on: cores, CPU model, memory, kernel, and how busy the machine
//! already was (load average, and the share of CPU time the rest of the machine used in the
//! second before a workload started).

use std::fs;
use std::process::Command;
use std::time::Duration;

pub struct Machine {
    pub cores: usize,
    pub model: String,
    pub memory: String,
    pub kernel: String,
}

fn first_line_with(text: &str, prefix: &str) -> Option<String> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_owned())
}

impl Machine {
    pub fn probe() -> Self {
        let lscpu = Command::new("lscpu")
            .env("LC_ALL", "C")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let model = first_line_with(&lscpu, "Model name")
            .or_else(|| {
                first_line_with(
                    &fs::read_to_string("/proc/cpuinfo").unwrap_or_default(),
                    "model name",
                )
            })
            .unwrap_or_else(|| "unknown".into());
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let memory = first_line_with(&meminfo, "MemTotal")
            .and_then(|v| v.trim_end_matches(" kB").trim().parse::<u64>().ok())
            .map_or_else(
                || "unknown".into(),
                #[allow(clippy::cast_precision_loss)] // a memory size shown with one decimal
                |kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0),
            );
        let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
            .unwrap_or_default()
            .trim()
            .to_owned();
        Self {
            cores: std::thread::available_parallelism().map_or(1, usize::from),
            model,
            memory,
            kernel,
        }
    }
}

/// The 1-, 5- and 15-minute load averages as `/proc/loadavg` gives them.
pub fn loadavg() -> String {
    fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn cpu_ticks() -> Option<(u64, u64)> {
    let stat = fs::read_to_string("/proc/stat").ok()?;
    let fields: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let idle = fields.get(3)? + fields.get(4).unwrap_or(&0);
    Some((fields.iter().sum(), idle))
}

/// The share of the whole machine's CPU time that was busy during `window` while this harness
/// slept: the load other processes put on the machine, 0..=100 %.
pub fn busy_percent(window: Duration) -> Option<f64> {
    let (total0, idle0) = cpu_ticks()?;
    std::thread::sleep(window);
    let (total1, idle1) = cpu_ticks()?;
    let total = total1.checked_sub(total0)?;
    let idle = idle1.checked_sub(idle0)?;
    if total == 0 {
        return None;
    }
    #[allow(clippy::cast_precision_loss)] // tick counts are far below 2^52
    Some(100.0 * (total - idle) as f64 / total as f64)
}
