#pragma once
/// \file The shared-state layer in one include: RMA values, arrays, counters, locks, a manager.

#include "multirank/shared/distributed_lock.hpp"
#include "multirank/shared/manager.hpp"
#include "multirank/shared/shared_array.hpp"
#include "multirank/shared/shared_counter.hpp"
#include "multirank/shared/shared_value.hpp"
#include "multirank/shared/window.hpp"
