#pragma once
/// \file The collective layer in one include: partitions and scatter/gather/reduce/scan/broadcast.

#include "multirank/collective/broadcast.hpp"
#include "multirank/collective/datatype.hpp"
#include "multirank/collective/gather.hpp"
#include "multirank/collective/ops.hpp"
#include "multirank/collective/partition.hpp"
#include "multirank/collective/reduce.hpp"
#include "multirank/collective/scan.hpp"
#include "multirank/collective/scatter.hpp"
