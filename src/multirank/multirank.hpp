#pragma once
/// \file Everything multirank offers without HDF5, GMP or ICU flags, in one include.
/// (Add <multirank/collective/gmp.hpp>, <multirank/study/...> or <multirank/pipeline/...> as needed.)

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
