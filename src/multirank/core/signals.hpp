#pragma once
/// \file SIGINT/SIGTERM (Ctrl-C, scancel): flush what must survive, then end the whole job.

#include <functional>
#include <string>

namespace multirank {

/// Installs handlers for SIGINT and SIGTERM (idempotent). On the first signal a watchdog thread
/// runs the registered flush callbacks, prints "multirank: rank R on HOST: stopped by SIGTERM"
/// and aborts the job with exit code 128 + signal number, well within 5 s. A second signal
/// (Open MPI relays every other rank's abort as SIGTERM) does not cut the flush short, unless
/// the flush has been stuck for more than 3 s. Under mpirun the flush must take under a second:
/// mpirun follows its SIGTERM with SIGKILL after odls_base_sigkill_timeout (1 s by default).
void install_stop_handlers();

/// Marks this process's work as done (run_main calls it when the body returns): a stop signal
/// from then on ends the process at once and quietly. mpirun sends SIGTERM to the ranks still
/// finalizing as soon as one rank exits non-zero (a usage error exits 2 on every rank, with its
/// one line already printed), and that must not add a "stopped by" line per rank.
void note_work_done() noexcept;

/// Whether a stop signal has arrived (long loops may check it to stop dispatching early).
bool stop_requested() noexcept;

/// Registers a callback that runs (on the watchdog thread) before a stop ends the job; returns
/// an id for unregister_flush. Callbacks must be quick and thread-safe.
int register_flush(std::function<void()> flush);

/// Removes a callback registered with register_flush.
void unregister_flush(int id);

/// Ends this process because its launcher is gone (see launcher_watch.hpp): marks the stop as
/// requested, runs the registered flushes (waiting at most a second for a stop already flushing),
/// prints "multirank: rank R on HOST: MESSAGE" and exits with code 1 at once, without MPI_Abort,
/// which needs the launcher.
[[noreturn]] void stop_without_launcher(const std::string& message);

}  // namespace multirank
