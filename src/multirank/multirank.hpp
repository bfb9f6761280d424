#pragma once
/// \file The core library in one include (target multirank::multirank; no HDF5, ICU or GMP).
/// Add <multirank/pipeline/pipeline.hpp> for pipelines, <multirank/study/...> (target
/// multirank::study) for study files, <multirank/core/boost_mpi.hpp> (multirank::boost_mpi)
/// for Boost.MPI views.

#include "multirank/channel/pipe.hpp"
#include "multirank/channel/queue.hpp"
#include "multirank/collective/collective.hpp"
#include "multirank/core/clock.hpp"
#include "multirank/core/communicator.hpp"
#include "multirank/core/environment.hpp"
#include "multirank/core/error.hpp"
#include "multirank/core/int128.hpp"
#include "multirank/core/process_info.hpp"
#include "multirank/core/request.hpp"
#include "multirank/core/signals.hpp"
#include "multirank/core/task_record.hpp"
#include "multirank/core/wait.hpp"
#include "multirank/pool/pool.hpp"
#include "multirank/shared/shared.hpp"
