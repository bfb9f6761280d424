#include "multirank/pool/internal/protocol.hpp"

#include <cstring>
#include <span>

#include "multirank/core/codec.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/process_info.hpp"

namespace multirank::detail {
namespace {

template <class H>
H read_header(std::string_view message) {
  H header;
  if (message.size() < sizeof header) throw ProtocolError("pool message too short for its header");
  std::memcpy(&header, message.data(), sizeof header);
  return header;
}

}  // namespace

void execute_chunk(TaskKey key, const char* data, std::size_t bytes, std::uint32_t count, const SyncClock* clock,
                   ChunkOutput& out) {
  if (const TaskEntry* entry = find_task(key)) {
    entry->run(data, bytes, count, out, clock);
    return;
  }
  // A task registered only on some ranks (a Task object that is not at namespace scope).
  const std::string why = "no task with key " + std::to_string(key) + " is registered on this rank; declare " +
                          "the Task at namespace scope so every rank registers it before main";
  for (std::uint32_t i = 0; i < count; ++i) out.errors.emplace_back(i, why);
  if (clock) out.times.assign(std::size_t{count} + 1, clock->now());
}

std::string run_chunk_message(std::string_view message, const SyncClock& clock) {
  const auto in = read_header<ChunkHeader>(message);
  ChunkOutput out;
  execute_chunk(in.key, message.data() + sizeof in, message.size() - sizeof in, in.count,
                (in.flags & kRecordTimes) ? &clock : nullptr, out);
  std::string errors;
  if (!out.errors.empty()) errors = encode_bytes(out.errors);
  ResultHeader h;
  h.job = in.job;
  h.seq = in.seq;
  h.count = in.count;
  h.times = checked_cast<std::uint32_t>(out.times.size(), "pool: time stamps in one result");
  h.error_bytes = errors.size();
  h.seconds = out.seconds;
  std::string reply;
  reply.reserve(sizeof h + out.times.size() * sizeof(double) + errors.size() + out.payload.size());
  reply.append(reinterpret_cast<const char*>(&h), sizeof h);
  reply.append(reinterpret_cast<const char*>(out.times.data()), out.times.size() * sizeof(double));
  reply.append(errors);
  reply.append(out.payload);
  return reply;
}

ResultHeader decode_result(std::string_view message, ChunkOutput& out) {
  const auto h = read_header<ResultHeader>(message);
  std::size_t at = sizeof h;
  const std::size_t times_bytes = std::size_t{h.times} * sizeof(double);
  if (message.size() < at + times_bytes + h.error_bytes) throw ProtocolError("pool result message is truncated");
  out.times.resize(h.times);
  if (times_bytes) std::memcpy(out.times.data(), message.data() + at, times_bytes);
  at += times_bytes;
  if (h.error_bytes) decode_bytes(std::span<const char>(message.data() + at, h.error_bytes), out.errors);
  at += h.error_bytes;
  out.payload.assign(message.data() + at, message.size() - at);
  out.seconds = h.seconds;
  return h;
}

}  // namespace multirank::detail
