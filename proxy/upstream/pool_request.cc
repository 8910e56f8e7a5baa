#include "proxy/upstream/pool_request.h"

#include "proxy/upstream/connection_pool.h"

namespace outrigger::upstream {

void PoolRequestQueue::pushBack(PoolRequestLink& link) {
  link.prev = head_.prev;
  link.next = &head_;
  head_.prev->next = &link;
  head_.prev = &link;
  size_++;
}

void PoolRequestQueue::remove(PoolRequestLink& link) {
  link.prev->next = link.next;
  link.next->prev = link.prev;
  link.prev = link.next = &link;
  size_--;
}

PoolRequest::PoolRequest() {
  in_endpoint_queue_.request = this;
  in_capacity_queue_.request = this;
}

PoolRequest::~PoolRequest() { cancel(); }

void PoolRequest::cancel() {
  if (pool_ != nullptr) pool_->withdraw(*this);
}

}  // namespace outrigger::upstream
