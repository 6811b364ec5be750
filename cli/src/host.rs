//! The signal dispositions of a host process (Python, Node) while the command line runs in it.
//!
//! Python turns SIGINT into `KeyboardInterrupt` only when the interpreter gets control back, and
//! Node's own SIGINT/SIGTERM handler ends the process at once; `signal-hook` (which `watch` and
//! `run` use to stop cleanly) calls such a handler after its own. While the command runs, both
//! signals get their default disposition, as in the standalone binary: a command that does not
//! listen ends the process (as the binary does), `watch` and `run` stop and return 0. The host's
//! handlers are put back afterwards.

/// The dispositions of SIGINT and SIGTERM saved by [`Defaults::install`], restored on drop.
pub(crate) struct Defaults {
    #[cfg(unix)]
    saved: Vec<(libc::c_int, libc::sigaction)>,
}

impl Defaults {
    /// Gives SIGINT and SIGTERM their default disposition, saving what they had.
    pub(crate) fn install() -> Defaults {
        #[cfg(unix)]
        {
            let mut saved = Vec::new();
            for sig in [libc::SIGINT, libc::SIGTERM] {
                // SAFETY: plain sigaction calls on valid, zero-initialised structs; SIG_DFL is a
                // valid disposition for both signals.
                unsafe {
                    let mut default: libc::sigaction = std::mem::zeroed();
                    default.sa_sigaction = libc::SIG_DFL;
                    libc::sigemptyset(&mut default.sa_mask);
                    let mut old: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(sig, &default, &mut old) == 0 {
                        saved.push((sig, old));
                    }
                }
            }
            Defaults { saved }
        }
        #[cfg(not(unix))]
        Defaults {}
    }
}

impl Drop for Defaults {
    fn drop(&mut self) {
        #[cfg(unix)]
        for (sig, old) in &self.saved {
            // SAFETY: restores a disposition sigaction itself returned.
            unsafe {
                libc::sigaction(*sig, old, std::ptr::null_mut());
            }
        }
    }
}
