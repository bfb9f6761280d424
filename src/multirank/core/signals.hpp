#pragma once
/// \file SIGINT/SIGTERM (Ctrl-C, scancel): flush what must survive, then end the whole job.

#include <functional>

namespace multirank {

/// Installs handlers for SIGINT and SIGTERM (idempotent). On the first signal a watchdog thread
/// runs the registered flush callbacks, prints "multirank: rank R on HOST: stopped by SIGTERM"
/// and aborts the job with exit code 128 + signal number, well within 5 s. A second signal
/// while flushing ends the process at once.
void install_stop_handlers();

/// Whether a stop signal has arrived (long loops may check it to stop dispatching early).
bool stop_requested() noexcept;

/// Registers a callback that runs (on the watchdog thread) before a stop ends the job; returns
/// an id for unregister_flush. Callbacks must be quick and thread-safe.
int register_flush(std::function<void()> flush);

/// Removes a callback registered with register_flush.
void unregister_flush(int id);

}  // namespace multirank
