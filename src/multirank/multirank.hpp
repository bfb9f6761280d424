#pragma once
/// \file Everything multirank offers, in one include.

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
