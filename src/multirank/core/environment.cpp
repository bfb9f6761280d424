#include "multirank/core/environment.hpp"

#include <dlfcn.h>
#include <mpi.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/launcher_watch.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/core/signals.hpp"
#include "multirank/core/wait.hpp"

namespace multirank {
namespace {

int to_mpi(ThreadLevel level) {
  switch (level) {
    case ThreadLevel::single: return MPI_THREAD_SINGLE;
    case ThreadLevel::funneled: return MPI_THREAD_FUNNELED;
    case ThreadLevel::serialized: return MPI_THREAD_SERIALIZED;
    case ThreadLevel::multiple: return MPI_THREAD_MULTIPLE;
  }
  return MPI_THREAD_SINGLE;
}

ThreadLevel from_mpi(int level) {
  if (level >= MPI_THREAD_MULTIPLE) return ThreadLevel::multiple;
  if (level >= MPI_THREAD_SERIALIZED) return ThreadLevel::serialized;
  if (level >= MPI_THREAD_FUNNELED) return ThreadLevel::funneled;
  return ThreadLevel::single;
}

const char* name(ThreadLevel level) {
  switch (level) {
    case ThreadLevel::single: return "MPI_THREAD_SINGLE";
    case ThreadLevel::funneled: return "MPI_THREAD_FUNNELED";
    case ThreadLevel::serialized: return "MPI_THREAD_SERIALIZED";
    case ThreadLevel::multiple: return "MPI_THREAD_MULTIPLE";
  }
  return "?";
}

std::string current_exception_message() {
  try {
    if (auto e = std::current_exception()) std::rethrow_exception(e);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
  return "std::terminate called without an active exception";
}

std::terminate_handler previous_terminate = nullptr;

[[noreturn]] void terminate_handler() {
  if (Environment::active()) Environment::abort(1, current_exception_message());
  if (previous_terminate) previous_terminate();
  std::abort();
}

/// Waits, sleeping, until every rank has come to finalize. A rank that fails on the way calls
/// MPI_Abort while the others wait here rather than inside MPI_Finalize: when an abort meets
/// ranks that are finalizing, Open MPI 4.1's mpirun (with PMIx 4.2) can deadlock in its own
/// shutdown after every rank has ended (about one job in forty on a loaded machine).
void wait_for_every_rank() {
  MPI_Request request = MPI_REQUEST_NULL;
  if (MPI_Ibarrier(MPI_COMM_WORLD, &request) != MPI_SUCCESS) return;
  try {
    wait_request(request);
  } catch (const MpiError&) {
    // MPI is failing on the way out: finalizing is all that is left to do.
  }
}

bool yield_turned_off = false;

template <class T>
T allreduce_value(T value, MPI_Datatype type, MPI_Op op) {
  T out{};
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Iallreduce(&value, &out, 1, type, op, MPI_COMM_WORLD, &request), "MPI_Iallreduce");
  wait_request(request);
  return out;
}

/// MULTIRANK_MESSAGE_CHUNK_BYTES must be valid on every rank and the same everywhere: a rank that
/// splits a message where another does not misreads it (MPI_ERR_TRUNCATE, a malformed batch).
/// Otherwise the lowest rank at fault says so in one line and every rank exits with code 2.
void check_message_chunk_setting() {
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::uint64_t mine = 0;
  std::string problem;
  try {
    mine = message_chunk_bytes();
  } catch (const UsageError& e) {
    problem = e.what();
  }
  std::uint64_t first = mine;  // rank 0's value
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibcast(&first, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD, &request), "MPI_Ibcast");
  wait_request(request);
  if (problem.empty() && mine != first) {
    const char* set = std::getenv("MULTIRANK_MESSAGE_CHUNK_BYTES");
    problem = "MULTIRANK_MESSAGE_CHUNK_BYTES is " + (set ? std::string(set) : "unset (" + std::to_string(mine) + ")") +
              " on this rank but " + std::to_string(first) +
              " bytes on rank 0: every rank must split messages alike (set the same value everywhere, or none)";
  }
  const int at_fault = allreduce_value(problem.empty() ? size : rank, MPI_INT, MPI_MIN);
  if (at_fault == size) return;
  if (rank == at_fault) {
    const std::string line = "multirank: rank " + std::to_string(rank) + " on " + host_name() + ": " + problem + "\n";
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
  }
  wait_for_every_rank();
  MPI_Finalize();
  std::exit(2);
}

// Failure notices: a rank that fails tells every other rank (rank, host, why) before it aborts,
// so the ranks the launcher stops next can name it instead of only "stopped by SIGTERM".
MPI_Comm g_notice_comm = MPI_COMM_NULL;
MPI_Request g_notice_recv = MPI_REQUEST_NULL;
char g_notice_buffer[1024];
std::string g_notice;  // a notice that has arrived
std::mutex g_notice_mutex;
constexpr int kNoticeTag = 1;

void start_failure_notices() {
  MPI_Request request = MPI_REQUEST_NULL;
  if (MPI_Comm_idup(MPI_COMM_WORLD, &g_notice_comm, &request) != MPI_SUCCESS) return;
  wait_request(request);
  MPI_Comm_set_errhandler(g_notice_comm, MPI_ERRORS_RETURN);
  MPI_Irecv(g_notice_buffer, sizeof g_notice_buffer, MPI_CHAR, MPI_ANY_SOURCE, kNoticeTag, g_notice_comm,
            &g_notice_recv);
}

void end_failure_notices() {
  std::lock_guard<std::mutex> lock(g_notice_mutex);
  if (g_notice_recv != MPI_REQUEST_NULL) {
    MPI_Cancel(&g_notice_recv);
    try {
      wait_request(g_notice_recv);
    } catch (const MpiError&) {  // finishing: a cancelled receive that failed is gone all the same
    }
  }
  if (g_notice_comm != MPI_COMM_NULL) MPI_Comm_free(&g_notice_comm);
}

/// Sends `text` to every other rank and waits for the sends at most 200 ms (they are small and
/// go eagerly; a rank that is gone must not hold up the abort).
void send_failure_notices(const std::string& text) {
  if (g_notice_comm == MPI_COMM_NULL) return;
  int rank = 0;
  int size = 1;
  MPI_Comm_rank(g_notice_comm, &rank);
  MPI_Comm_size(g_notice_comm, &size);
  const int len = static_cast<int>(std::min(text.size(), sizeof g_notice_buffer - 1));
  std::vector<MPI_Request> sends;
  for (int r = 0; r < size; ++r) {
    if (r == rank) continue;
    MPI_Request request = MPI_REQUEST_NULL;
    if (MPI_Isend(text.data(), len, MPI_CHAR, r, kNoticeTag, g_notice_comm, &request) == MPI_SUCCESS)
      sends.push_back(request);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  try {
    while (!sends.empty() && std::chrono::steady_clock::now() < deadline) {
      if (detail::test_requests(static_cast<int>(sends.size()), sends.data())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  } catch (const MpiError&) {  // a rank already gone: the abort goes on without its notice
  }
}

/// Every multirank wait polls with its own Backoff (spin, yield, then sleep), and the channels and
/// the pool test requests in passing, between items. Open MPI's mpi_yield_when_idle, which it
/// turns on when a node has more ranks than slots, makes each test that finds nothing yield the
/// core too: with four ranks on two cores that made the queue 2 to 16 times slower. So it is off
/// unless the user chose a value (OMPI_MCA_mpi_yield_when_idle, which `mpirun --mca` also sets).
void turn_off_mpi_yield() {
#ifdef OPEN_MPI
  if (std::getenv("OMPI_MCA_mpi_yield_when_idle") == nullptr) {
    yield_turned_off = ::setenv("OMPI_MCA_mpi_yield_when_idle", "0", 0) == 0;
  }
#endif
}

#ifdef MPICH
/// MPICH 4.0 raises the errors of a request's completion (MPI_Test and the like) on
/// MPI_COMM_WORLD whatever communicator the request belongs to, so the MPI_ERRORS_RETURN of the
/// library's communicators does not reach them. World's errors stay fatal, as by default, except
/// inside the library's own request tests, which get the code back and throw MpiError.
void world_error_handler(MPI_Comm* /*comm*/, int* code, ...) {
  if (detail::testing_library_request()) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(*code, text, &len) != MPI_SUCCESS) len = 0;
  Environment::abort(1, "MPI error: " + std::string(text, static_cast<std::size_t>(len)));
}

void route_request_errors() {
  MPI_Errhandler handler = MPI_ERRHANDLER_NULL;
  if (MPI_Comm_create_errhandler(&world_error_handler, &handler) != MPI_SUCCESS) return;
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, handler);
  MPI_Errhandler_free(&handler);
}
#else
void route_request_errors() {}
#endif

}  // namespace

Environment::Environment(int& argc, char**& argv, ThreadLevel required) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) throw UsageError("multirank::Environment: MPI is already initialised");
  start_launcher_watch();
  turn_off_mpi_yield();
  int provided = MPI_THREAD_SINGLE;
  check_mpi(MPI_Init_thread(&argc, &argv, to_mpi(required), &provided), "MPI_Init_thread");
  owns_ = true;
  provided_ = from_mpi(provided);
  route_request_errors();
  previous_terminate = std::set_terminate(terminate_handler);
  if (provided_ < required) {
    const std::string msg = std::string("MPI provides only ") + name(provided_) + " but multirank needs " +
                            name(required) + "; use an MPI library built with thread support";
    abort(1, msg);
  }
  check_message_chunk_setting();
  start_failure_notices();
}

Environment::~Environment() {
  if (!owns_) return;
  if (std::uncaught_exceptions() > 0) abort(1, current_exception_message());
  wait_for_every_rank();
  end_failure_notices();
  std::set_terminate(previous_terminate);
  MPI_Finalize();
}

bool Environment::mpi_yield_turned_off() { return yield_turned_off; }

bool node_oversubscribed() {
#ifdef OPEN_MPI
  // Open MPI's mpirun tells each rank whether its node runs more ranks than it has slots;
  // Open MPI 4.1 turns mpi_yield_when_idle on from this same flag.
  const char* flag = std::getenv("OMPI_MCA_mpi_oversubscribe");
  return flag != nullptr && (std::strcmp(flag, "1") == 0 || std::strcmp(flag, "true") == 0);
#else
  return false;  // only Open MPI's launcher says, and only Open MPI's yield depends on it
#endif
}

namespace {

/// Open MPI's own switch of the yield in its progress loop (exported by libopen-pal); it returns
/// the previous setting. Null with another MPI.
using SetYield = bool (*)(bool);
SetYield open_mpi_set_yield() {
  static const auto fn = reinterpret_cast<SetYield>(::dlsym(RTLD_DEFAULT, "opal_progress_set_yield_when_idle"));
  return fn;
}

std::mutex blocking_mutex;
int blocking_scopes = 0;
bool yield_before_scopes = false;

}  // namespace

BlockingMpiScope::BlockingMpiScope() {
  if (!Environment::mpi_yield_turned_off() || !node_oversubscribed()) return;
  const SetYield set = open_mpi_set_yield();
  if (set == nullptr) return;
  std::lock_guard<std::mutex> lock(blocking_mutex);
  if (blocking_scopes++ == 0) yield_before_scopes = set(true);
  changed_ = true;
}

BlockingMpiScope::~BlockingMpiScope() {
  if (!changed_) return;
  std::lock_guard<std::mutex> lock(blocking_mutex);
  if (--blocking_scopes == 0) open_mpi_set_yield()(yield_before_scopes);
}

bool Environment::active() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  return initialized && !finalized;
}

void Environment::abort(int code, std::string_view message, AbortCause cause) {
  // One abort per process: an error met on the way out (a notice that cannot be sent, which
  // MPICH reports through the world's handler) ends the process without a second round.
  static std::atomic<bool> aborting{false};
  if (aborting.exchange(true)) {
    if (active()) MPI_Abort(MPI_COMM_WORLD, code);
    std::_Exit(code);
  }
  const int rank = world_rank();
  // A process without MPI (the driver of `study ... exec`) has no rank to name.
  const std::string who = rank >= 0 ? "multirank: rank " + std::to_string(rank) + " on " : "multirank on ";
  const std::string line = who + host_name() + ": " + std::string(message) + "\n";
  std::fflush(stdout);
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  if (active() && cause == AbortCause::failure && rank >= 0)
    send_failure_notices("rank " + std::to_string(rank) + " on " + host_name() + " failed first: " + std::string(message));
#ifdef MPICH
  // Hydra tears the job down as soon as MPI_Abort reaches it, and may drop what the aborting
  // rank's proxy had not yet forwarded: give it the message first.
  if (active()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
#endif
  if (active()) MPI_Abort(MPI_COMM_WORLD, code);
  std::_Exit(code);
}

std::string Environment::failure_notice() {
  std::lock_guard<std::mutex> lock(g_notice_mutex);
  if (!g_notice.empty() || g_notice_recv == MPI_REQUEST_NULL || !active()) return g_notice;
  for (int i = 0; i < 25; ++i) {  // the notice left before the launcher's signal, but may still be on its way
    MPI_Status status;
    bool done = false;
    try {
      done = detail::test_request(g_notice_recv, &status);
    } catch (const MpiError&) {
      break;
    }
    if (done) {
      int count = 0;
      MPI_Get_count(&status, MPI_CHAR, &count);
      g_notice.assign(g_notice_buffer, static_cast<std::size_t>(std::max(count, 0)));
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return g_notice;
}

int run_main(int& argc, char**& argv, const std::function<int()>& body, ThreadLevel required) {
  Environment env(argc, argv, required);
  int code = 0;
  try {
    code = body();
  } catch (const std::exception& e) {
    Environment::abort(1, e.what());
  } catch (...) {
    Environment::abort(1, "unknown exception");
  }
  note_work_done();
  return code;
}

}  // namespace multirank
