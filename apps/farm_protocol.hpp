#pragma once
/// \file The messages between a farm's rank and its task spawner (multirank-farm-spawner), over
/// SOCK_SEQPACKET socket pairs: one socket per slot (one task at a time each) plus a control
/// socket. Plain structs of fixed layout (both ends are the same build on the same host),
/// followed by the strings they announce. Header-only, with no dependencies, so the spawner
/// links nothing but the C++ runtime.
///
/// The spawner's command line:
///   multirank-farm-spawner PARENT_PID SLOTS CONTROL_FD SOCKET_FD... OUT_FD... ERR_FD...
/// and its environment is the one the tasks get (MULTIRANK_TASK, MULTIRANK_SLOT and
/// MULTIRANK_ATTEMPT are added per task).

#include <cstdint>

namespace multirank::cli::farm::protocol {

/// What a message is.
enum Kind : std::uint32_t {
  kSpawn = 1,      ///< rank -> spawner (slot socket): run a command
  kSignalAll = 2,  ///< rank -> spawner (control socket): send a signal to every running task's group
  kDone = 3,       ///< spawner -> rank (slot socket): the command ended (or could not start)
};

/// Flags of a spawn request.
enum SpawnFlags : std::uint32_t {
  kLogFiles = 1,   ///< stdout and stderr go to the two paths that follow (else the slot's spool files)
};

/// Leads a kSpawn message; the command, the stdout path and the stderr path follow, in that order.
struct SpawnRequest {
  std::uint32_t kind = kSpawn;
  std::uint32_t flags = 0;
  std::int64_t task = 0;          ///< MULTIRANK_TASK (the line number)
  std::int32_t attempt = 1;       ///< MULTIRANK_ATTEMPT
  std::int32_t slot = 0;          ///< MULTIRANK_SLOT
  double timeout = 0.0;           ///< seconds before SIGTERM to its group (0: none); SIGKILL 5 s later
  std::uint32_t command_bytes = 0;
  std::uint32_t out_bytes = 0;
  std::uint32_t err_bytes = 0;
  std::uint32_t reserved = 0;
};

/// A kSignalAll message.
struct SignalRequest {
  std::uint32_t kind = kSignalAll;
  std::int32_t signal = 0;
};

/// A kDone message.
struct DoneReply {
  std::uint32_t kind = kDone;
  std::int32_t spawn_errno = 0;   ///< posix_spawn's error (the task never ran), else 0
  std::int64_t pid = 0;           ///< the task's /bin/sh (its process group id)
  std::int32_t wait_status = 0;   ///< as waitpid gives it
  std::int32_t signal_sent = 0;   ///< the last signal the spawner sent its group (a timeout, a stop), else 0
  std::uint32_t timed_out = 0;    ///< 1 when its timeout expired
  std::uint32_t stopped = 0;      ///< 1 when the job was stopping: it ended after the stop signal, or never started
  double start_unix = 0.0;        ///< CLOCK_REALTIME seconds just before it was spawned
  double end_unix = 0.0;          ///< and when it was reaped
  double seconds = 0.0;           ///< CLOCK_MONOTONIC seconds between the two
};

/// SIGKILL follows a timeout's SIGTERM after this long.
inline constexpr double kKillAfterSeconds = 5.0;
/// After a stop signal was passed on to the tasks, they have this long (from that signal) to end
/// once their rank is gone; then the spawner kills what is left. (mpirun sends SIGKILL to the
/// ranks 1 s after its SIGTERM.)
inline constexpr double kStopGraceSeconds = 1.0;
/// Largest spawn message (Linux limits one argument to 128 KiB; two paths come on top).
inline constexpr std::uint32_t kMaxMessageBytes = 128 * 1024 + 2 * 4096 + sizeof(SpawnRequest);

}  // namespace multirank::cli::farm::protocol
