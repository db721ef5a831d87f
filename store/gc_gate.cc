#include "store/gc_gate.h"

#include "absl/time/clock.h"

namespace strata {

int64_t GcGate::NowSeconds() const {
  return clock_ ? clock_() : absl::ToUnixSeconds(absl::Now());
}

GcGate::Reservation::~Reservation() {
  const int64_t now = gate_->NowSeconds();
  std::lock_guard lock(gate_->mu_);
  if (gate_->session_) {
    gate_->ended_chunks_.insert(chunks_.begin(), chunks_.end());
    gate_->ended_contents_.insert(contents_.begin(), contents_.end());
  }
  auto& order = gate_->recent_order_;
  while (!order.empty() && order.front().first < now - kRecentContentSeconds) {
    auto it = gate_->recent_contents_.find(order.front().second);
    if (it != gate_->recent_contents_.end() && it->second == order.front().first) {
      gate_->recent_contents_.erase(it);
    }
    order.pop_front();
  }
  for (const Digest& id : contents_) {
    gate_->recent_contents_[id] = now;
    order.emplace_back(now, id);
  }
  gate_->live_.erase(this);
}

bool GcGate::Reservation::ReferenceChunk(const Digest& id) {
  std::shared_lock hold(gate_->gate_);
  std::lock_guard lock(mu_);
  return chunks_.insert(id).second;
}

void GcGate::Reservation::ReferenceContent(const Digest& id) {
  std::shared_lock hold(gate_->gate_);
  std::lock_guard lock(mu_);
  contents_.push_back(id);
}

std::unique_ptr<GcGate::Reservation> GcGate::Reserve() {
  std::unique_ptr<Reservation> r(new Reservation(this));
  std::lock_guard lock(mu_);
  live_.insert(r.get());
  return r;
}

absl::StatusOr<std::unique_ptr<GcGate::Session>> GcGate::BeginSession() {
  std::lock_guard lock(mu_);
  if (session_) {
    return absl::FailedPreconditionError("gc is already running on this store");
  }
  session_ = true;
  return std::unique_ptr<Session>(new Session(this));
}

GcGate::Session::~Session() {
  std::lock_guard lock(gate_->mu_);
  gate_->session_ = false;
  gate_->ended_chunks_.clear();
  gate_->ended_contents_.clear();
}

std::unique_lock<std::shared_mutex> GcGate::Session::Exclusive() {
  return std::unique_lock<std::shared_mutex>(gate_->gate_);
}

// Under the exclusive gate no writer is inside a Reference call, so the live
// reservations' sets are stable; mu_ keeps reservations from ending meanwhile.
bool GcGate::Session::ChunkKept(const Digest& id) const {
  std::lock_guard lock(gate_->mu_);
  if (gate_->ended_chunks_.contains(id)) return true;
  for (const Reservation* r : gate_->live_) {
    if (r->chunks_.contains(id)) return true;
  }
  return false;
}

bool GcGate::Session::ContentKept(const Digest& id) const {
  std::lock_guard lock(gate_->mu_);
  if (gate_->ended_contents_.contains(id)) return true;
  if (gate_->recent_contents_.contains(id)) return true;
  for (const Reservation* r : gate_->live_) {
    for (const Digest& c : r->contents_) {
      if (c == id) return true;
    }
  }
  return false;
}

std::vector<Digest> GcGate::Session::TakeNewContents() {
  std::lock_guard lock(gate_->mu_);
  std::vector<Digest> out;
  const auto take = [&](const Digest& id) {
    if (contents_seen_.insert(id).second) out.push_back(id);
  };
  for (const Digest& id : gate_->ended_contents_) take(id);
  for (const auto& [id, at] : gate_->recent_contents_) take(id);
  for (const Reservation* r : gate_->live_) {
    for (const Digest& id : r->contents_) take(id);
  }
  return out;
}

}  // namespace strata
