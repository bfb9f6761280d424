#pragma once
/// \file Study files: the HDF5 schema of docs/hdf5-schema.md, written atomically with parallel
/// HDF5 and read back. This header needs no HDF5 flags; HDF5 stays inside the library.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "multirank/core/communicator.hpp"
#include "multirank/study/error.hpp"
#include "multirank/study/run_record.hpp"

namespace multirank::study {

/// The schema version this library writes (the `schema_version` root attribute).
inline constexpr std::int32_t kSchemaVersion = 2;
/// The oldest schema version it reads: versions kOldestSchemaVersion..kSchemaVersion are read,
/// the fields an older version lacks taking their defaults (docs/hdf5-schema.md).
inline constexpr std::int32_t kOldestSchemaVersion = 1;
/// The value of the `format` root attribute that marks a multirank study file.
inline constexpr const char* kStudyFormat = "multirank-study";

/// What to do when the output exists.
enum class WriteMode {
  create,   ///< refuse an existing file (the default: never lose a result by accident)
  replace,  ///< replace an existing study file (--force); a foreign file is still refused
  append,   ///< add a run to an existing study file, or create it (--append)
};

/// What a path holds, as far as study files are concerned.
struct FileCheck {
  /// The verdict.
  enum class Kind { missing, study, wrong_version, foreign, damaged, unreadable } kind = Kind::missing;
  std::string reason;               ///< one line, without the path ("not an HDF5 file", ...)
  std::int32_t schema_version = 0;  ///< when the file has one
};

/// Looks at `path` without changing it: missing, a readable study file of a schema version this
/// library reads (`study`, with schema_version saying which),
/// or why not (another schema version, a foreign file, a truncated or damaged HDF5 file, unreadable).
[[nodiscard]] FileCheck inspect_file(const std::string& path);

/// The mode for the apps' flags; throws UsageError when both are set.
[[nodiscard]] WriteMode write_mode(bool force, bool append);

/// Checks, without writing, that write_run(path, mode) could go ahead: the directory exists and
/// an existing file is a study file that `mode` may replace or extend. Throws UsageError with a
/// one-line reason otherwise. Cheap; meant for an app's validate step.
void check_output(const std::string& path, WriteMode mode);

/// Test and diagnostics hooks for write_run.
struct WriteOptions {
  /// Called on every rank at each stage ("opened", "group", "datasets", "tasks", "closed"); an
  /// exception thrown from it aborts the write exactly as an HDF5 failure would.
  std::function<void(const std::string& stage)> on_stage;
};

/// Writes `record` as a new run group of the study file at `path` (collective over `comm`).
/// Metadata, samples and summary come from rank 0's record; task records from every rank's
/// `record.tasks`, each rank writing its own slice collectively through MPI-IO. The file is
/// written under a temporary name in the same directory and renamed into place only once
/// complete, so `path` never holds a partial file; appending copies the file first.
/// Returns the group name ("run_0001", ...). Throws UsageError (refused output) or Hdf5Error,
/// the same on every rank.
std::string write_run(const Communicator& comm, const std::string& path, const RunRecord& record,
                      WriteMode mode = WriteMode::create, const WriteOptions& options = {});

/// The same writer in its serial mode, for a process that has not initialised MPI (and need not:
/// HDF5's default sec2 driver, no MPI-IO), such as the driver of `multirank study ... exec`:
/// every record, task records included, comes from this process. Appending to a file of an
/// older schema version rewrites it as this version (under the temporary name, as every append).
std::string write_run(const std::string& path, const RunRecord& record, WriteMode mode = WriteMode::create,
                      const WriteOptions& options = {});

/// The root attributes of a study file.
struct FileInfo {
  std::int32_t schema_version = 0;   ///< kOldestSchemaVersion..kSchemaVersion for files this library reads
  std::string format;                ///< kStudyFormat
  std::string multirank_version;     ///< of the writer that created the file
  std::string git_commit;            ///< its commit, or "unknown"
  std::string compiler;              ///< e.g. "GNU 12.2.0"
  std::string compiler_flags;        ///< CMAKE_CXX_FLAGS and the build type's flags
  std::string build_type;            ///< e.g. "Release"
  std::string mpi_library_version;   ///< MPI_Get_library_version, one line
  std::string hdf5_version;          ///< e.g. "1.10.8"
  std::string created_utc;           ///< when the file was created
};

/// A study file read back.
struct StudyFile {
  std::string path;               ///< as given
  FileInfo info;                  ///< root attributes
  std::vector<RunRecord> runs;    ///< every run group, in name order
};

/// Reads a study file (serially; no MPI needed). Throws UsageError with one line naming the file
/// for a missing, unreadable, non-HDF5, truncated or foreign file or an unsupported schema_version.
[[nodiscard]] StudyFile read_study(const std::string& path);

/// The runs of a study file (read_study(path).runs).
[[nodiscard]] std::vector<RunRecord> read_runs(const std::string& path);

/// The root attributes of the file this build would write (version, commit, compiler, MPI, HDF5).
[[nodiscard]] FileInfo current_build_info();

}  // namespace multirank::study
