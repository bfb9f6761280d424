#include "multirank/channel/pipe.hpp"

#include <mpi.h>

#include <chrono>
#include <cstdint>
#include <cstring>

#include "multirank/core/wait.hpp"

namespace multirank::detail {
namespace {

constexpr std::size_t kLargeHeaderBytes = sizeof(std::uint64_t) + 1;

// How a pipe waits for a small message: 100 polls of MPI_Test back to back before the usual
// backoff. A small message on shared memory lands within a microsecond or two, and a paced poll
// (a pause and a clock read) would notice it later than a blocking MPI_Recv does. A few
// microseconds, inside the spinning window, so waiting longer still sleeps.
constexpr BackoffPolicy kMessagePolicy{.tight_polls = 100};

// How a pipe waits for a large transfer (either side). The transfer is in flight and MPI moves
// it along only while it is polled, so polling goes on for about as long as the copy should take
// at 0.5 GB/s (yielding the core every 64 polls), as a blocking MPI call would; only then does
// sleeping start. Sleeping from the outset wakes up to a millisecond after the data moved, and
// halves the bandwidth of a stream of large items.
BackoffPolicy transfer_policy(std::size_t bytes) {
  BackoffPolicy policy;
  policy.spin = std::chrono::microseconds(0);
  policy.yield = std::chrono::microseconds(200 + static_cast<std::chrono::microseconds::rep>(bytes / 500));
  policy.yield_every = 64;
  return policy;
}

}  // namespace

void throw_pipe_mismatch(int peer, int channel, std::size_t got, std::size_t expected) {
  throw ProtocolError("Pipe: a malformed item from rank " + std::to_string(peer) + " on channel " +
                   std::to_string(channel) + " (" + std::to_string(got) + " payload bytes where units of " +
                   std::to_string(expected) + " were expected); are both ends Pipe<T> of the same T?");
}

PipeTransport::PipeTransport(const Communicator& comm, int peer, int channel) {
  if (!comm) throw UsageError("Pipe: the communicator is empty (this rank is not in it)");
  if (peer < 0 || peer >= comm.size())
    throw UsageError("Pipe: peer rank " + std::to_string(peer) + " is out of range for a communicator of " +
                     std::to_string(comm.size()) + " rank(s)");
  if (channel < 0 || channel >= kPipeChannels)
    throw UsageError("Pipe: channel " + std::to_string(channel) + " is outside [0, " +
                     std::to_string(kPipeChannels - 1) + "]");
  comm_ = &comm;
  peer_ = peer;
  channel_ = channel;
  tag_ = Tag::pipe(channel);
}

PipeTransport::PipeTransport(PipeTransport&& other) noexcept
    : comm_(other.comm_),
      peer_(other.peer_),
      channel_(other.channel_),
      tag_(other.tag_),
      send_buf_(std::move(other.send_buf_)),
      recv_buf_(std::move(other.recv_buf_)),
      pending_(std::move(other.pending_)) {
  other.comm_ = nullptr;
}

PipeTransport& PipeTransport::operator=(PipeTransport&& other) noexcept {
  if (this != &other) {
    comm_ = other.comm_;
    peer_ = other.peer_;
    channel_ = other.channel_;
    tag_ = other.tag_;
    send_buf_ = std::move(other.send_buf_);
    recv_buf_ = std::move(other.recv_buf_);
    pending_ = std::move(other.pending_);
    other.comm_ = nullptr;
  }
  return *this;
}

void PipeTransport::require_valid(const char* operation) const {
  if (!comm_) throw UsageError(std::string("Pipe: ") + operation + " on an unbound (default or moved-from) Pipe");
}

bool PipeTransport::small_frame_fits(std::size_t payload) { return payload + 1 < message_chunk_bytes(); }

void PipeTransport::send_copy(const void* data, std::size_t bytes) {
  const char* from = static_cast<const char*>(data);
  auto copy = std::make_shared<std::vector<char>>(from, from + bytes);
  const char* at = copy->data();
  pending_.push_back(comm_->isend_bytes(peer_, tag_, at, bytes, std::move(copy)));
  reap_pending();
}

void PipeTransport::reap_pending() {
  while (!pending_.empty() && pending_.front().test()) pending_.pop_front();
}

void PipeTransport::send_frame(const void* frame, std::size_t bytes) {
  if (to_self()) {
    send_copy(frame, bytes);
    return;
  }
  if (bytes < message_chunk_bytes()) {
    // One piece: post it ourselves, skipping the general path's bookkeeping (latency matters here).
    MPI_Request request = MPI_REQUEST_NULL;
    check_mpi(MPI_Isend(frame, static_cast<int>(bytes), MPI_BYTE, peer_, tag_.value(), comm_->native(), &request),
              "MPI_Isend");
    wait_request(request, MPI_STATUS_IGNORE, kMessagePolicy);
    return;
  }
  comm_->send_bytes(peer_, tag_, frame, bytes);
}

void PipeTransport::send_large_header(std::size_t bytes) {
  char header[kLargeHeaderBytes];
  const std::uint64_t size = bytes;
  std::memcpy(header, &size, sizeof size);
  header[sizeof size] = static_cast<char>(PipeFrame::large);
  send_frame(header, sizeof header);
}

void PipeTransport::send(const void* data, std::size_t bytes) {
  require_valid("send");
  if (bytes < kPipeInlineBytes) {
    send_buf_.resize(bytes + 1);
    if (bytes > 0) std::memcpy(send_buf_.data(), data, bytes);
    send_buf_[bytes] = static_cast<char>(PipeFrame::data);
    send_frame(send_buf_.data(), bytes + 1);
    return;
  }
  // Header first, then the payload on the same tag: MPI keeps them in order and the receiver
  // learns the size before it posts the receive, so the payload lands without a copy.
  send_large_header(bytes);
  if (to_self()) {
    send_copy(data, bytes);
    return;
  }
  Request payload = comm_->isend_bytes(peer_, tag_, data, bytes, nullptr);
  wait_until([&payload] { return payload.test(); }, transfer_policy(bytes));
}

Request PipeTransport::isend(const void* data, std::size_t bytes, std::shared_ptr<const void> keep) {
  require_valid("isend");
  if (bytes < kPipeInlineBytes) {
    auto framed = std::make_shared<std::vector<char>>(bytes + 1);
    if (bytes > 0) std::memcpy(framed->data(), data, bytes);
    (*framed)[bytes] = static_cast<char>(PipeFrame::data);
    const char* frame = framed->data();
    return comm_->isend_bytes(peer_, tag_, frame, bytes + 1, std::move(framed));
  }
  send_large_header(bytes);  // a few bytes, sent eagerly: returns at once (to itself: never waits)
  return comm_->isend_bytes(peer_, tag_, data, bytes, std::move(keep));
}

void PipeTransport::send_end() {
  require_valid("close");
  const char frame = static_cast<char>(PipeFrame::end);
  send_frame(&frame, 1);
}

std::size_t PipeTransport::recv_small(void* buffer, std::size_t capacity) {
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Status status;
  check_mpi(MPI_Irecv(buffer, static_cast<int>(capacity), MPI_BYTE, peer_, tag_.value(), comm_->native(), &request),
            "MPI_Irecv");
  try {
    wait_request(request, &status, kMessagePolicy);
  } catch (const MpiError& e) {
    // A larger message than this end's items: the peer sends another type.
    int error_class = MPI_SUCCESS;
    if (MPI_Error_class(e.code(), &error_class) == MPI_SUCCESS && error_class == MPI_ERR_TRUNCATE)
      throw_pipe_mismatch(peer_, channel_, capacity, capacity - 1);
    throw;
  }
  int count = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  return static_cast<std::size_t>(count);
}

PipeHead PipeTransport::recv_head() {
  std::size_t total = 0;
  comm_->recv_bytes_unknown(peer_, tag_, [this, &total](std::size_t offset, std::size_t piece) {
    total = offset + piece;
    if (recv_buf_.size() < total) recv_buf_.resize(total);
    return recv_buf_.data() + offset;
  });
  if (total == 0) throw_pipe_mismatch(peer_, channel_, 0, 1);
  const auto kind = static_cast<PipeFrame>(recv_buf_[total - 1]);
  switch (kind) {
    case PipeFrame::data:
      return {kind, total - 1};
    case PipeFrame::end:
      if (total == 1) return {kind, 0};
      break;
    case PipeFrame::large:
      if (total == kLargeHeaderBytes) {
        std::uint64_t size = 0;
        std::memcpy(&size, recv_buf_.data(), sizeof size);
        return {kind, static_cast<std::size_t>(size)};
      }
      break;
  }
  throw_pipe_mismatch(peer_, channel_, total, 1);
}

void PipeTransport::recv_large(void* destination, std::size_t bytes) {
  if (bytes >= message_chunk_bytes()) {  // split into pieces: the Communicator reassembles them
    comm_->recv_bytes_known(peer_, tag_, destination, bytes);
    return;
  }
  // One piece (a message shorter than a chunk travels whole): post it and poll it through.
  MPI_Request request = MPI_REQUEST_NULL;
  MPI_Status status;
  check_mpi(MPI_Irecv(destination, static_cast<int>(bytes), MPI_BYTE, peer_, tag_.value(), comm_->native(), &request),
            "MPI_Irecv");
  wait_request(request, &status, transfer_policy(bytes));
  int count = 0;
  check_mpi(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
  if (static_cast<std::size_t>(count) != bytes) throw_pipe_mismatch(peer_, channel_, static_cast<std::size_t>(count), bytes);
}

bool PipeTransport::poll(std::chrono::duration<double> timeout) const {
  return comm_->probe_for(peer_, tag_, timeout).has_value();
}

}  // namespace multirank::detail
