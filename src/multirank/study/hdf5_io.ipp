// Private to the study layer's sources (not an installed header, so users of the library need no
// HDF5 flags): thin checked RAII wrappers over the HDF5 C API and the study schema's types.
#pragma once

#include <hdf5.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <string>
#include <utility>
#include <vector>

#include "multirank/study/run_record.hpp"
#include "multirank/study/study_file.hpp"

namespace multirank::study::detail {

/// The innermost description on HDF5's error stack (the most specific one), with the OS error a
/// file driver reported further down when there is one ("...: No space left on device"); then
/// clears the stack.
inline std::string hdf5_error_text(int saved_errno = 0) {
  struct Found {
    std::string innermost;
    std::string os_error;
  } found;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        auto* f = static_cast<Found*>(data);
        if (!e || !e->desc || !*e->desc) return 0;
        f->innermost = e->desc;
        // The sec2 driver says "..., errno = 28, error message = 'No space left on device', ...".
        const std::string desc = e->desc;
        const std::string key = "error message = '";
        if (const auto at = desc.find(key); at != std::string::npos) {
          const auto end = desc.find('\'', at + key.size());
          if (end != std::string::npos) f->os_error = desc.substr(at + key.size(), end - at - key.size());
        }
        return 0;
      },
      &found);
  H5Eclear2(H5E_DEFAULT);
  std::string text = found.innermost.empty() ? "HDF5 error" : found.innermost;
  if (!found.os_error.empty()) text = text.substr(0, text.find(':')) + ": " + found.os_error;  // not the driver's long dump
  // MPI-IO drivers report "file write failed" only; the OS error is left in errno.
  const bool io_errno = saved_errno == ENOSPC || saved_errno == EDQUOT || saved_errno == EROFS ||
                        saved_errno == EIO || saved_errno == EFBIG;
  if (found.os_error.empty() && io_errno) text += ": " + std::string(std::strerror(saved_errno));
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

/// Turns off HDF5's automatic error printing while it lives (failures become exceptions instead).
class Hdf5Quiet {
 public:
  Hdf5Quiet() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~Hdf5Quiet() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  Hdf5Quiet(const Hdf5Quiet&) = delete;
  Hdf5Quiet& operator=(const Hdf5Quiet&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// Throws Hdf5Error("what: innermost HDF5 message") when `id` is negative.
inline hid_t checked(hid_t id, const std::string& what) {
  if (id < 0) {
    const int err = errno;
    throw Hdf5Error(what + ": " + hdf5_error_text(err));
  }
  return id;
}
/// Throws Hdf5Error when `status` is negative.
inline void checked_status(herr_t status, const std::string& what) {
  if (status < 0) {
    const int err = errno;
    throw Hdf5Error(what + ": " + hdf5_error_text(err));
  }
}

/// While one lives on this thread, identifiers destroyed by an exception's unwinding are left
/// open: in a parallel write their closes are collective, and a rank that failed alone must not
/// wait in them for ranks that are still writing (the job is aborted instead; see study_writer).
class CollectiveSection {
 public:
  CollectiveSection() { ++depth(); }
  ~CollectiveSection() { --depth(); }
  CollectiveSection(const CollectiveSection&) = delete;
  CollectiveSection& operator=(const CollectiveSection&) = delete;
  /// Whether a destructor running now should leave its identifier open.
  static bool abandoning() noexcept { return depth() > 0 && std::uncaught_exceptions() > 0; }

 private:
  static int& depth() noexcept {
    thread_local int d = 0;
    return d;
  }
};

/// Owns one HDF5 identifier and closes it with the matching H5?close.
class Hid {
 public:
  using Closer = herr_t (*)(hid_t);
  Hid() = default;
  Hid(hid_t id, Closer closer) : id_(id), close_(closer) {}
  Hid(Hid&& o) noexcept : id_(std::exchange(o.id_, -1)), close_(o.close_) {}
  Hid& operator=(Hid&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, -1);
      close_ = o.close_;
    }
    return *this;
  }
  Hid(const Hid&) = delete;
  Hid& operator=(const Hid&) = delete;
  ~Hid() { reset(); }
  [[nodiscard]] hid_t get() const noexcept { return id_; }
  /// Closes now and reports a failure (a collective H5Fclose can fail; the destructor cannot say).
  void close(const std::string& what) {
    if (id_ < 0) return;
    const herr_t st = close_(std::exchange(id_, -1));
    checked_status(st, what);
  }

 private:
  void reset() noexcept {
    if (id_ >= 0 && close_ && !CollectiveSection::abandoning()) close_(id_);
    id_ = -1;
  }
  hid_t id_ = -1;
  Closer close_ = nullptr;
};

inline Hid make_type(hid_t id, const std::string& what) { return Hid(checked(id, what), H5Tclose); }
inline Hid make_space(hid_t id, const std::string& what) { return Hid(checked(id, what), H5Sclose); }
inline Hid make_plist(hid_t id, const std::string& what) { return Hid(checked(id, what), H5Pclose); }

// ---- strings: fixed length only, NUL-padded, UTF-8 --------------------------------------------

/// A fixed-length string type of `size` bytes (at least 1).
inline Hid fixed_string_type(std::size_t size) {
  Hid t = make_type(H5Tcopy(H5T_C_S1), "H5Tcopy");
  checked_status(H5Tset_size(t.get(), std::max<std::size_t>(size, 1)), "H5Tset_size");
  checked_status(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "H5Tset_strpad");
  checked_status(H5Tset_cset(t.get(), H5T_CSET_UTF8), "H5Tset_cset");
  return t;
}

/// Strings packed into one buffer of n fixed-size cells; returns the cell size.
inline std::size_t pack_strings(const std::vector<std::string>& values, std::vector<char>& buffer) {
  std::size_t size = 1;
  for (const auto& v : values) size = std::max(size, v.size());
  buffer.assign(values.size() * size, '\0');
  for (std::size_t i = 0; i < values.size(); ++i) std::memcpy(buffer.data() + i * size, values[i].data(), values[i].size());
  return size;
}

/// A cell of a fixed-length string buffer without its NUL padding.
inline std::string unpad(const char* cell, std::size_t size) {
  std::size_t len = 0;
  while (len < size && cell[len] != '\0') ++len;
  return std::string(cell, len);
}

// ---- attributes ---------------------------------------------------------------------------

inline void write_attr_raw(hid_t loc, const std::string& name, hid_t type, hid_t space, const void* data) {
  Hid attr(checked(H5Acreate2(loc, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "H5Acreate2 " + name),
           H5Aclose);
  checked_status(H5Awrite(attr.get(), type, data), "H5Awrite " + name);
}

inline void write_attr(hid_t loc, const std::string& name, const std::string& value) {
  Hid type = fixed_string_type(value.size());
  Hid space = make_space(H5Screate(H5S_SCALAR), "H5Screate");
  std::string cell = value;
  if (cell.empty()) cell.push_back('\0');
  write_attr_raw(loc, name, type.get(), space.get(), cell.data());
}

inline void write_attr(hid_t loc, const std::string& name, const std::vector<std::string>& values) {
  std::vector<char> buffer;
  const std::size_t size = pack_strings(values, buffer);
  if (buffer.empty()) buffer.push_back('\0');  // a valid pointer for an empty attribute
  Hid type = fixed_string_type(size);
  const hsize_t dims[1] = {values.size()};
  Hid space = make_space(H5Screate_simple(1, dims, nullptr), "H5Screate_simple");
  write_attr_raw(loc, name, type.get(), space.get(), buffer.data());
}

inline void write_attr(hid_t loc, const std::string& name, std::int32_t value) {
  Hid space = make_space(H5Screate(H5S_SCALAR), "H5Screate");
  write_attr_raw(loc, name, H5T_NATIVE_INT32, space.get(), &value);
}

inline void write_attr(hid_t loc, const std::string& name, std::uint64_t value) {
  Hid space = make_space(H5Screate(H5S_SCALAR), "H5Screate");
  write_attr_raw(loc, name, H5T_NATIVE_UINT64, space.get(), &value);
}

inline void write_attr(hid_t loc, const std::string& name, double value) {
  Hid space = make_space(H5Screate(H5S_SCALAR), "H5Screate");
  write_attr_raw(loc, name, H5T_NATIVE_DOUBLE, space.get(), &value);
}

inline void write_attr(hid_t loc, const std::string& name, const std::vector<std::int32_t>& values) {
  const hsize_t dims[1] = {values.size()};
  Hid space = make_space(H5Screate_simple(1, dims, nullptr), "H5Screate_simple");
  const std::int32_t dummy = 0;
  write_attr_raw(loc, name, H5T_NATIVE_INT32, space.get(), values.empty() ? &dummy : values.data());
}

inline bool has_attr(hid_t loc, const std::string& name) {
  const htri_t e = H5Aexists(loc, name.c_str());
  checked_status(e < 0 ? -1 : 0, "H5Aexists " + name);
  return e > 0;
}

inline Hid open_attr(hid_t loc, const std::string& name) {
  return Hid(checked(H5Aopen(loc, name.c_str(), H5P_DEFAULT), "H5Aopen " + name), H5Aclose);
}

inline hssize_t attr_points(hid_t attr) {
  Hid space = make_space(H5Aget_space(attr), "H5Aget_space");
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  checked_status(n < 0 ? -1 : 0, "H5Sget_simple_extent_npoints");
  return n;
}

/// Reads a string or array-of-strings attribute (fixed-length, or variable-length for tolerance).
inline std::vector<std::string> read_attr_strings(hid_t loc, const std::string& name) {
  Hid attr = open_attr(loc, name);
  Hid ftype = make_type(H5Aget_type(attr.get()), "H5Aget_type");
  if (H5Tget_class(ftype.get()) != H5T_STRING) throw Hdf5Error("attribute " + name + " is not a string");
  const auto n = static_cast<std::size_t>(attr_points(attr.get()));
  std::vector<std::string> out;
  if (n == 0) return out;
  if (H5Tis_variable_str(ftype.get()) > 0) {
    Hid mtype = make_type(H5Tcopy(H5T_C_S1), "H5Tcopy");
    checked_status(H5Tset_size(mtype.get(), H5T_VARIABLE), "H5Tset_size");
    std::vector<char*> ptrs(n, nullptr);
    checked_status(H5Aread(attr.get(), mtype.get(), ptrs.data()), "H5Aread " + name);
    for (char* p : ptrs) {
      out.emplace_back(p ? p : "");
      H5free_memory(p);
    }
    return out;
  }
  const std::size_t size = H5Tget_size(ftype.get());
  Hid mtype = fixed_string_type(size);
  std::vector<char> buffer(n * size);
  checked_status(H5Aread(attr.get(), mtype.get(), buffer.data()), "H5Aread " + name);
  for (std::size_t i = 0; i < n; ++i) out.push_back(unpad(buffer.data() + i * size, size));
  return out;
}

inline std::string read_attr_string(hid_t loc, const std::string& name) {
  auto v = read_attr_strings(loc, name);
  return v.empty() ? std::string() : v.front();
}

/// A string attribute, or "" when it is absent (optional attributes such as the Slurm ids).
inline std::string read_attr_string_or_empty(hid_t loc, const std::string& name) {
  return has_attr(loc, name) ? read_attr_string(loc, name) : std::string();
}

inline std::vector<std::int32_t> read_attr_ints(hid_t loc, const std::string& name) {
  Hid attr = open_attr(loc, name);
  std::vector<std::int32_t> out(static_cast<std::size_t>(attr_points(attr.get())));
  if (!out.empty()) checked_status(H5Aread(attr.get(), H5T_NATIVE_INT32, out.data()), "H5Aread " + name);
  return out;
}

inline std::int32_t read_attr_int(hid_t loc, const std::string& name) {
  auto v = read_attr_ints(loc, name);
  if (v.size() != 1) throw Hdf5Error("attribute " + name + " is not a single integer");
  return v.front();
}

inline double read_attr_double(hid_t loc, const std::string& name) {
  Hid attr = open_attr(loc, name);
  if (attr_points(attr.get()) != 1) throw Hdf5Error("attribute " + name + " is not a single number");
  double v = 0.0;
  checked_status(H5Aread(attr.get(), H5T_NATIVE_DOUBLE, &v), "H5Aread " + name);
  return v;
}

inline std::uint64_t read_attr_uint64(hid_t loc, const std::string& name) {
  Hid attr = open_attr(loc, name);
  if (attr_points(attr.get()) != 1) throw Hdf5Error("attribute " + name + " is not a single number");
  std::uint64_t v = 0;
  checked_status(H5Aread(attr.get(), H5T_NATIVE_UINT64, &v), "H5Aread " + name);
  return v;
}

// ---- the schema's compound types ------------------------------------------------------------

/// The fixed part of a task record as stored: the host is an index into the run's `hosts`
/// dataset. In the file each row goes on with `command`, a fixed-length string whose size the
/// writer chooses per run (see TaskRows).
struct TaskRow {
  std::int64_t task_id;
  std::int32_t rank;
  std::int32_t host;
  std::int64_t pid;
  double queued;
  double start;
  double end;
  std::uint64_t bytes_in;
  std::uint64_t bytes_out;
  std::int32_t attempt;
  std::int32_t exit_code;
};

inline void insert(hid_t type, const char* name, std::size_t offset, hid_t member) {
  checked_status(H5Tinsert(type, name, offset, member), std::string("H5Tinsert ") + name);
}

inline Hid sample_type() {
  Hid t = make_type(H5Tcreate(H5T_COMPOUND, sizeof(Sample)), "H5Tcreate");
  insert(t.get(), "p", offsetof(Sample, p), H5T_NATIVE_INT32);
  insert(t.get(), "rep", offsetof(Sample, rep), H5T_NATIVE_INT32);
  insert(t.get(), "wall_seconds", offsetof(Sample, wall_seconds), H5T_NATIVE_DOUBLE);
  insert(t.get(), "rank_min_seconds", offsetof(Sample, rank_min_seconds), H5T_NATIVE_DOUBLE);
  insert(t.get(), "rank_max_seconds", offsetof(Sample, rank_max_seconds), H5T_NATIVE_DOUBLE);
  insert(t.get(), "metric", offsetof(Sample, metric), H5T_NATIVE_DOUBLE);
  insert(t.get(), "exit_code", offsetof(Sample, exit_code), H5T_NATIVE_INT32);
  return t;
}

inline Hid summary_type() {
  Hid t = make_type(H5Tcreate(H5T_COMPOUND, sizeof(SummaryRow)), "H5Tcreate");
  insert(t.get(), "p", offsetof(SummaryRow, p), H5T_NATIVE_INT32);
  insert(t.get(), "n", offsetof(SummaryRow, n), H5T_NATIVE_INT32);
  insert(t.get(), "median", offsetof(SummaryRow, median), H5T_NATIVE_DOUBLE);
  insert(t.get(), "min", offsetof(SummaryRow, min), H5T_NATIVE_DOUBLE);
  insert(t.get(), "max", offsetof(SummaryRow, max), H5T_NATIVE_DOUBLE);
  insert(t.get(), "mean", offsetof(SummaryRow, mean), H5T_NATIVE_DOUBLE);
  insert(t.get(), "stddev", offsetof(SummaryRow, stddev), H5T_NATIVE_DOUBLE);
  insert(t.get(), "ci_low", offsetof(SummaryRow, ci_low), H5T_NATIVE_DOUBLE);
  insert(t.get(), "ci_high", offsetof(SummaryRow, ci_high), H5T_NATIVE_DOUBLE);
  insert(t.get(), "ci_coverage", offsetof(SummaryRow, ci_coverage), H5T_NATIVE_DOUBLE);
  insert(t.get(), "speedup", offsetof(SummaryRow, speedup), H5T_NATIVE_DOUBLE);
  insert(t.get(), "efficiency", offsetof(SummaryRow, efficiency), H5T_NATIVE_DOUBLE);
  insert(t.get(), "karp_flatt", offsetof(SummaryRow, karp_flatt), H5T_NATIVE_DOUBLE);
  return t;
}

/// Task records packed for HDF5: each row is a TaskRow followed by a `command_size`-byte
/// NUL-padded command, rounded up to 8 bytes.
struct TaskRows {
  std::size_t command_size = 1;     ///< the command member's size (at least 1)
  std::vector<unsigned char> bytes; ///< the rows
  std::size_t count = 0;            ///< rows held

  [[nodiscard]] std::size_t row_size() const { return (sizeof(TaskRow) + command_size + 7) / 8 * 8; }
};

/// The `tasks` compound for commands of `command_size` bytes (the memory and the file type).
inline Hid task_type(std::size_t command_size) {
  const std::size_t row = TaskRows{command_size, {}, 0}.row_size();
  Hid t = make_type(H5Tcreate(H5T_COMPOUND, row), "H5Tcreate");
  insert(t.get(), "task_id", offsetof(TaskRow, task_id), H5T_NATIVE_INT64);
  insert(t.get(), "rank", offsetof(TaskRow, rank), H5T_NATIVE_INT32);
  insert(t.get(), "host", offsetof(TaskRow, host), H5T_NATIVE_INT32);
  insert(t.get(), "pid", offsetof(TaskRow, pid), H5T_NATIVE_INT64);
  insert(t.get(), "queued", offsetof(TaskRow, queued), H5T_NATIVE_DOUBLE);
  insert(t.get(), "start", offsetof(TaskRow, start), H5T_NATIVE_DOUBLE);
  insert(t.get(), "end", offsetof(TaskRow, end), H5T_NATIVE_DOUBLE);
  insert(t.get(), "bytes_in", offsetof(TaskRow, bytes_in), H5T_NATIVE_UINT64);
  insert(t.get(), "bytes_out", offsetof(TaskRow, bytes_out), H5T_NATIVE_UINT64);
  insert(t.get(), "attempt", offsetof(TaskRow, attempt), H5T_NATIVE_INT32);
  insert(t.get(), "exit_code", offsetof(TaskRow, exit_code), H5T_NATIVE_INT32);
  Hid command = fixed_string_type(command_size);
  insert(t.get(), "command", sizeof(TaskRow), command.get());
  return t;
}

/// Whether the compound `type` has a member `name` (older schema versions lack some).
inline bool has_member(hid_t type, const char* name) { return H5Tget_member_index(type, name) >= 0; }

/// The members of the memory compound `full` that the file's compound `file_type` also has, at
/// the same offsets: reading a file of an older schema version fills only those, and the caller
/// sets the rest to their defaults.
inline Hid members_in_file(hid_t full, hid_t file_type) {
  Hid t = make_type(H5Tcreate(H5T_COMPOUND, H5Tget_size(full)), "H5Tcreate");
  const int n = H5Tget_nmembers(full);
  for (int i = 0; i < n; ++i) {
    char* name = H5Tget_member_name(full, static_cast<unsigned>(i));
    const std::string member = name ? name : "";
    H5free_memory(name);
    if (member.empty() || !has_member(file_type, member.c_str())) continue;
    Hid mtype = make_type(H5Tget_member_type(full, static_cast<unsigned>(i)), "H5Tget_member_type");
    insert(t.get(), member.c_str(), H5Tget_member_offset(full, static_cast<unsigned>(i)), mtype.get());
  }
  return t;
}

/// The datatype a dataset was stored with.
inline Hid dataset_type(hid_t loc, const std::string& name) {
  Hid dset(checked(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "H5Dopen2 " + name), H5Dclose);
  return make_type(H5Dget_type(dset.get()), "H5Dget_type " + name);
}

// ---- datasets -------------------------------------------------------------------------------

/// A 1-D chunked dataset of `rows` rows that can grow without limit.
inline Hid create_rows(hid_t loc, const std::string& name, hid_t type, hsize_t rows, hsize_t chunk_rows) {
  const hsize_t dims[1] = {rows};
  const hsize_t maxdims[1] = {H5S_UNLIMITED};
  Hid space = make_space(H5Screate_simple(1, dims, maxdims), "H5Screate_simple");
  Hid dcpl = make_plist(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate");
  const hsize_t chunk[1] = {std::max<hsize_t>(chunk_rows, 1)};
  checked_status(H5Pset_chunk(dcpl.get(), 1, chunk), "H5Pset_chunk");
  return Hid(checked(H5Dcreate2(loc, name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                     "H5Dcreate2 " + name),
             H5Dclose);
}

/// Writes rows [offset, offset + count) of `dset` from `data` (count may be 0: this rank then
/// takes part in the collective call with an empty selection).
inline void write_rows(hid_t dset, hid_t type, hsize_t offset, hsize_t count, const void* data, hid_t dxpl,
                       const std::string& what) {
  Hid fspace = make_space(H5Dget_space(dset), "H5Dget_space");
  const hsize_t one[1] = {1};
  Hid mspace = make_space(H5Screate_simple(1, count > 0 ? &count : one, nullptr), "H5Screate_simple");
  if (count > 0) {
    const hsize_t start[1] = {offset};
    const hsize_t n[1] = {count};
    checked_status(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, n, nullptr),
                   "H5Sselect_hyperslab");
  } else {
    checked_status(H5Sselect_none(fspace.get()), "H5Sselect_none");
    checked_status(H5Sselect_none(mspace.get()), "H5Sselect_none");
  }
  static const char dummy[256] = {};
  checked_status(H5Dwrite(dset, type, mspace.get(), fspace.get(), dxpl, count > 0 ? data : dummy), "H5Dwrite " + what);
}

/// Every row of a 1-D dataset, converted to `type`.
template <class T>
std::vector<T> read_rows(hid_t loc, const std::string& name, hid_t type) {
  Hid dset(checked(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "H5Dopen2 " + name), H5Dclose);
  Hid space = make_space(H5Dget_space(dset.get()), "H5Dget_space");
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  checked_status(n < 0 ? -1 : 0, "H5Sget_simple_extent_npoints");
  std::vector<T> out(static_cast<std::size_t>(n));
  if (n > 0) checked_status(H5Dread(dset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "H5Dread " + name);
  return out;
}

/// Every row of a 1-D dataset converted to `type` (rows of H5Tget_size(type) bytes), as bytes.
inline std::vector<unsigned char> read_row_bytes(hid_t loc, const std::string& name, hid_t type, std::size_t& rows) {
  Hid dset(checked(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "H5Dopen2 " + name), H5Dclose);
  Hid space = make_space(H5Dget_space(dset.get()), "H5Dget_space");
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  checked_status(n < 0 ? -1 : 0, "H5Sget_simple_extent_npoints");
  rows = static_cast<std::size_t>(n);
  std::vector<unsigned char> out(rows * H5Tget_size(type));
  if (n > 0) checked_status(H5Dread(dset.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()), "H5Dread " + name);
  return out;
}

/// Whether `loc` has a link called `name` (a dataset or group that older schema versions lack).
inline bool has_link(hid_t loc, const std::string& name) {
  const htri_t e = H5Lexists(loc, name.c_str(), H5P_DEFAULT);
  checked_status(e < 0 ? -1 : 0, "H5Lexists " + name);
  return e > 0;
}

/// Every string of a 1-D fixed-length string dataset.
inline std::vector<std::string> read_string_rows(hid_t loc, const std::string& name) {
  Hid dset(checked(H5Dopen2(loc, name.c_str(), H5P_DEFAULT), "H5Dopen2 " + name), H5Dclose);
  Hid ftype = make_type(H5Dget_type(dset.get()), "H5Dget_type");
  if (H5Tget_class(ftype.get()) != H5T_STRING || H5Tis_variable_str(ftype.get()) > 0)
    throw Hdf5Error("dataset " + name + " is not of fixed-length strings");
  const std::size_t size = H5Tget_size(ftype.get());
  Hid mtype = fixed_string_type(size);
  Hid space = make_space(H5Dget_space(dset.get()), "H5Dget_space");
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  checked_status(n < 0 ? -1 : 0, "H5Sget_simple_extent_npoints");
  std::vector<char> buffer(static_cast<std::size_t>(n) * size);
  std::vector<std::string> out;
  if (n == 0) return out;
  checked_status(H5Dread(dset.get(), mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer.data()), "H5Dread " + name);
  for (hssize_t i = 0; i < n; ++i) out.push_back(unpad(buffer.data() + static_cast<std::size_t>(i) * size, size));
  return out;
}

}  // namespace multirank::study::detail
