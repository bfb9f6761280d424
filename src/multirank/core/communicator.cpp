#include "multirank/core/communicator.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <cstdlib>
#include <limits>

#include "multirank/core/wait.hpp"

namespace multirank {
namespace {

std::size_t initial_chunk_bytes() {
  if (const char* env = std::getenv("MULTIRANK_MESSAGE_CHUNK_BYTES")) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(env, &end, 10);
    if (end != env && *end == '\0' && v > 0 && v <= static_cast<unsigned long long>(INT_MAX)) return v;
    throw UsageError(std::string("MULTIRANK_MESSAGE_CHUNK_BYTES must be an integer in [1, ") +
                     std::to_string(INT_MAX) + "], got '" + env + "'");
  }
  return std::size_t{1} << 30;
}

std::atomic<std::size_t>& chunk_setting() {
  static std::atomic<std::size_t> value{initial_chunk_bytes()};
  return value;
}

// ---- the pieces of a split message -------------------------------------------------------
// A message of at least the setting's bytes travels as full pieces, then a last piece shorter than
// them (possibly empty), so a receiver knows the message ended when a piece is short. The pieces
// of one message are posted at once, and Open MPI's ob1 numbers the messages to a peer in 16
// bits: with 65536 of them in flight a later piece matches as an earlier one (a message came out
// exactly 65536 pieces short at MULTIRANK_MESSAGE_CHUNK_BYTES=1). So no message is cut into more
// than kMaxPieces pieces: a long one travels in pieces larger than the setting. That bounds the
// pieces in flight per message without holding any back, so sends stay non-blocking and in order
// with whatever follows them on the same tag (the pipe posts its small frames itself).

/// Most pieces one message travels in.
constexpr std::size_t kMaxPieces = 256;
/// Largest piece chosen for a long message (the default setting; MPI counts are ints).
constexpr std::size_t kLargestPiece = std::size_t{1} << 30;

/// The size of the full pieces of a message of `bytes` bytes under the setting `chunk`: `chunk`
/// itself, or larger so that the message needs at most kMaxPieces pieces.
std::size_t piece_bytes(std::size_t bytes, std::size_t chunk) {
  if (bytes / chunk < kMaxPieces) return chunk;
  return std::max(chunk, std::min(bytes / kMaxPieces + 1, kLargestPiece));
}

/// Pieces of a message of `bytes` bytes in full pieces of `piece` bytes (the last one short).
std::size_t piece_count(std::size_t bytes, std::size_t piece) { return bytes / piece + 1; }

std::size_t byte_count(const MPI_Status& st) {
  int count = 0;
  check_mpi(MPI_Get_count(&st, MPI_BYTE, &count), "MPI_Get_count");
  return static_cast<std::size_t>(count);
}

}  // namespace

std::size_t message_chunk_bytes() { return chunk_setting().load(std::memory_order_relaxed); }

void set_message_chunk_bytes(std::size_t bytes) {
  if (bytes == 0 || bytes > static_cast<std::size_t>(INT_MAX))
    throw UsageError("message chunk size must be in [1, " + std::to_string(INT_MAX) + "] bytes");
  chunk_setting().store(bytes, std::memory_order_relaxed);
}

Communicator::Communicator(MPI_Comm comm) {
  if (comm == MPI_COMM_NULL) return;
  // Non-blocking, so a rank that arrives first sleeps instead of spinning inside MPI.
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Comm_idup(comm, &comm_, &req), "MPI_Comm_idup");
  wait_request(req, MPI_STATUS_IGNORE);
  check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
  void* ub = nullptr;
  int flag = 0;
  check_mpi(MPI_Comm_get_attr(comm_, MPI_TAG_UB, &ub, &flag), "MPI_Comm_get_attr");
  if (flag) tag_ub_ = *static_cast<int*>(ub);
}

Communicator::Communicator(Communicator&& other) noexcept
    : comm_(other.comm_), rank_(other.rank_), size_(other.size_), tag_ub_(other.tag_ub_) {
  other.comm_ = MPI_COMM_NULL;
}

Communicator& Communicator::operator=(Communicator&& other) noexcept {
  if (this != &other) {
    reset();
    comm_ = other.comm_;
    rank_ = other.rank_;
    size_ = other.size_;
    tag_ub_ = other.tag_ub_;
    other.comm_ = MPI_COMM_NULL;
  }
  return *this;
}

Communicator::~Communicator() { reset(); }

void Communicator::reset() noexcept {
  if (comm_ == MPI_COMM_NULL) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Comm_free(&comm_);
  comm_ = MPI_COMM_NULL;
}

Communicator Communicator::split(int color, int key) const {
  // MPI_Comm_split blocks: wait for every rank first, sleeping, so nobody spins inside it.
  barrier();
  MPI_Comm out = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(comm_, color, key, &out), "MPI_Comm_split");
  Communicator result(out);  // dup of the split, then free the split itself
  if (out != MPI_COMM_NULL) MPI_Comm_free(&out);
  return result;
}

void Communicator::barrier() const {
  MPI_Request req = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(comm_, &req), "MPI_Ibarrier");
  wait_request(req, MPI_STATUS_IGNORE);
}

void Communicator::check_rank(int r, bool any_allowed) const {
  if (any_allowed && r == MPI_ANY_SOURCE) return;
  if (r < 0 || r >= size_)
    throw UsageError("rank " + std::to_string(r) + " is out of range for a communicator of " +
                     std::to_string(size_) + " rank(s)");
}

void Communicator::check_tag(Tag tag, bool any_allowed) const {
  if (tag.is_any()) {
    if (any_allowed) return;
    throw UsageError("a message cannot be sent with Tag::any()");
  }
  if (!tag.reserved() && (tag.value() < 0 || tag.value() >= kUserTagLimit))
    throw UsageError("tag " + std::to_string(tag.value()) + " is outside the user tags [0, " +
                     std::to_string(kUserTagLimit - 1) + "] (the tags above are the library's)");
  if (tag.value() < 0 || tag.value() > tag_ub_)
    throw UsageError("tag " + std::to_string(tag.value()) + " is outside [0, " + std::to_string(tag_ub_) +
                     "], this MPI's tag range");
}

Request Communicator::isend_bytes(int dest, Tag tag, const void* data, std::size_t bytes,
                                  std::shared_ptr<const void> keep) const {
  check_rank(dest);
  check_tag(tag);
  const std::size_t chunk = piece_bytes(bytes, message_chunk_bytes());
  const std::size_t pieces = piece_count(bytes, chunk);
  std::vector<MPI_Request> reqs(pieces, MPI_REQUEST_NULL);
  const char* p = static_cast<const char*>(data);
  for (std::size_t i = 0; i < pieces; ++i) {
    const std::size_t offset = i * chunk;
    const std::size_t len = std::min(chunk, bytes - offset);
    check_mpi(MPI_Isend(p + offset, static_cast<int>(len), MPI_BYTE, dest, tag.value(), comm_, &reqs[i]), "MPI_Isend");
  }
  return Request(std::move(reqs), std::move(keep));
}

void Communicator::send_bytes(int dest, Tag tag, const void* data, std::size_t bytes) const {
  check_rank(dest);
  check_tag(tag);
  if (bytes < message_chunk_bytes()) {  // the common case: one piece, no allocation
    MPI_Request req = MPI_REQUEST_NULL;
    check_mpi(MPI_Isend(data, static_cast<int>(bytes), MPI_BYTE, dest, tag.value(), comm_, &req), "MPI_Isend");
    wait_request(req, MPI_STATUS_IGNORE);
    return;
  }
  isend_bytes(dest, tag, data, bytes, nullptr).wait();
}

Status Communicator::recv_bytes_known(int source, Tag tag, void* data, std::size_t bytes) const {
  check_rank(source, true);
  check_tag(tag, true);
  const std::size_t chunk = piece_bytes(bytes, message_chunk_bytes());
  const std::size_t pieces = piece_count(bytes, chunk);
  char* p = static_cast<char*>(data);
  Status result;
  std::size_t received = 0;
  for (std::size_t i = 0; i < pieces; ++i) {
    const std::size_t offset = i * chunk;
    const std::size_t len = std::min(chunk, bytes - offset);
    MPI_Request req = MPI_REQUEST_NULL;
    MPI_Status st;
    check_mpi(MPI_Irecv(p + offset, static_cast<int>(len), MPI_BYTE, source, tag.value(), comm_, &req), "MPI_Irecv");
    wait_request(req, &st);
    const std::size_t got = byte_count(st);
    if (i == 0) {
      result = Status{st.MPI_SOURCE, Tag::received(st.MPI_TAG), got};
      source = st.MPI_SOURCE;  // the remaining pieces come from the same sender with the same tag
      tag = Tag::received(st.MPI_TAG);
    }
    received += got;
    if (got != len) break;
  }
  if (received != bytes)
    throw ProtocolError("expected a " + std::to_string(bytes) + "-byte message from rank " +
                     std::to_string(result.source) + ", got " + std::to_string(received) + " bytes");
  return result;
}

Status Communicator::recv_bytes_unknown(
    int source, Tag tag, const std::function<char*(std::size_t, std::size_t)>& place) const {
  check_rank(source, true);
  check_tag(tag, true);
  std::size_t full = message_chunk_bytes();  // a first piece this long opens a split message
  Status result;
  std::size_t offset = 0;
  for (bool first = true;; first = false) {
    MPI_Message msg = MPI_MESSAGE_NULL;
    MPI_Status st;
    wait_until([&] {
      int flag = 0;
      check_mpi(MPI_Improbe(source, tag.value(), comm_, &flag, &msg, &st), "MPI_Improbe");
      return flag != 0;
    });
    const std::size_t len = byte_count(st);
    if (first) {
      result = Status{st.MPI_SOURCE, Tag::received(st.MPI_TAG), len};
      source = st.MPI_SOURCE;
      tag = Tag::received(st.MPI_TAG);
    } else if (len > full) {
      throw ProtocolError("a message from rank " + std::to_string(source) + " has a " + std::to_string(len) +
                       "-byte piece after pieces of " + std::to_string(full) +
                       " bytes: the ranks split messages differently (MULTIRANK_MESSAGE_CHUNK_BYTES differs?)");
    }
    char* dst = place(offset, len);
    MPI_Request req = MPI_REQUEST_NULL;
    check_mpi(MPI_Imrecv(dst, static_cast<int>(len), MPI_BYTE, &msg, &req), "MPI_Imrecv");
    wait_request(req, MPI_STATUS_IGNORE);
    offset += len;
    if (len < full) break;
    full = len;  // a split message's pieces are all as long as its first (see piece_bytes)
  }
  return result;
}

Status Communicator::probe(int source, Tag tag) const {
  std::optional<Status> st;
  wait_until([&] { return (st = iprobe(source, tag)).has_value(); });
  return *st;
}

std::optional<Status> Communicator::iprobe(int source, Tag tag) const {
  check_rank(source, true);
  check_tag(tag, true);
  int flag = 0;
  MPI_Status st;
  check_mpi(MPI_Iprobe(source, tag.value(), comm_, &flag, &st), "MPI_Iprobe");
  if (!flag) return std::nullopt;
  return Status{st.MPI_SOURCE, Tag::received(st.MPI_TAG), byte_count(st)};
}

std::optional<Status> Communicator::probe_for(int source, Tag tag, std::chrono::duration<double> timeout) const {
  std::optional<Status> st;
  wait_until_for([&] { return (st = iprobe(source, tag)).has_value(); }, timeout);
  return st;
}

}  // namespace multirank
