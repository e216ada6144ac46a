// Parts of a read (a table's partitions) read by several threads at once.
//
// Each worker takes the next part, opens it and pulls its batches into one
// bounded queue the consumer drains, so converting runs on every worker and
// memory stays bounded by the queue, whatever the parts hold. Batches come out
// in the order they are ready, not part by part. The first error stops every
// worker and is what Next() returns; dropping the iterator stops and joins
// the workers.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

#include "lakeflow/connect/batch_iterator.h"

namespace lakeflow {

// Opens part `index` (0 .. parts-1). Called from the workers, concurrently.
using PartOpener = std::function<Result<std::unique_ptr<BatchIterator>>(size_t index)>;

// `threads` workers (at least 1, at most `parts`), at most `queue_batches`
// batches waiting for the consumer.
std::unique_ptr<BatchIterator> ParallelBatchIterators(SchemaPtr schema, size_t parts,
                                                      PartOpener open, size_t threads,
                                                      size_t queue_batches);

}  // namespace lakeflow
