#pragma once
/// \file The study component's errors, under multirank::Error (core/error.hpp).

#include "multirank/core/error.hpp"

namespace multirank::study {

/// A study file, report or plot could not be made or read (the component's root error).
class StudyError : public Error {
 public:
  using Error::Error;
};

/// An HDF5 call failed while writing or reading (I/O, space, a damaged file found mid-read).
class Hdf5Error : public StudyError {
 public:
  using StudyError::StudyError;
};

/// gnuplot could not be started, failed, or drew nothing.
class PlotError : public StudyError {
 public:
  using StudyError::StudyError;
};

}  // namespace multirank::study
