// GcGate: keeps gc from collecting a chunk or content that a writer in the same
// process is about to name.
//
// A writer (ContentStore's Put and Assemble, ArtifactStore::Commit) opens a
// Reservation and references every chunk and content it will name *before* it checks
// that the object is stored. gc opens a Session and deletes in batches, each under
// the gate's exclusive side, keeping whatever a live reservation references or one
// that ended since the session began. So for every object, either the writer's
// reference comes first (gc keeps the object) or gc's delete does (the writer's
// check then finds the object missing: a put stores the chunk again, a commit
// refuses). A content stays kept for kRecentContentSeconds after its reservation
// ended, whether or not gc was running: a put's caller commits its content next,
// and the commit may come after a gc has begun. Nothing here touches disk; grace
// periods cover what crosses processes or requests (docs/operations.md).
#ifndef STRATA_STORE_GC_GATE_H_
#define STRATA_STORE_GC_GATE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "store/digest.h"

namespace strata {

// Thread-safe.
class GcGate {
 public:
  // How long a content referenced by an ended reservation stays kept.
  static constexpr int64_t kRecentContentSeconds = 60;

  // `clock` (unix seconds) is for tests; default: the system clock.
  explicit GcGate(std::function<int64_t()> clock = nullptr) : clock_(std::move(clock)) {}

  // What one writer is about to name. Thread-safe (a put's workers share one).
  class Reservation {
   public:
    // Ends the reservation. While a gc session runs, what it referenced stays kept
    // until the session ends: the writer has named it by now (or failed).
    ~Reservation();
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;

    // Call before checking that the chunk is stored. Returns false when this
    // reservation referenced `id` before.
    bool ReferenceChunk(const Digest& id);
    // Call before checking that the content's manifest is stored.
    void ReferenceContent(const Digest& id);

   private:
    friend class GcGate;
    explicit Reservation(GcGate* gate) : gate_(gate) {}
    GcGate* gate_;
    std::mutex mu_;
    absl::flat_hash_set<Digest> chunks_;
    std::vector<Digest> contents_;
  };

  // One gc run's view of the writers. Ends (and forgets what it kept) when
  // destroyed.
  class Session {
   public:
    ~Session();
    Session(const Session&) = delete;
    Session& operator=(const Session&) = delete;

    // Holds off every writer's next reference while gc checks and deletes a batch.
    std::unique_lock<std::shared_mutex> Exclusive();

    // REQUIRES: the Exclusive() lock is held. Whether a writer has referenced the
    // chunk since before this session began or during it; the content, that or
    // within the last kRecentContentSeconds.
    bool ChunkKept(const Digest& id) const;
    bool ContentKept(const Digest& id) const;
    // REQUIRES: the Exclusive() lock is held. The contents referenced since the
    // last call (each once): gc keeps their chunks too.
    std::vector<Digest> TakeNewContents();

   private:
    friend class GcGate;
    explicit Session(GcGate* gate) : gate_(gate) {}
    GcGate* gate_;
    absl::flat_hash_set<Digest> contents_seen_;
  };

  // Begins a writer's reservation.
  std::unique_ptr<Reservation> Reserve();

  // Begins a gc session. Errors: FailedPrecondition when one is running.
  absl::StatusOr<std::unique_ptr<Session>> BeginSession();

  // A shared hold for a writer's check-and-update that must not interleave with a
  // gc batch (an upload's touch of a chunk's reference time).
  std::shared_lock<std::shared_mutex> Shared() {
    return std::shared_lock<std::shared_mutex>(gate_);
  }

 private:
  int64_t NowSeconds() const;

  std::function<int64_t()> clock_;
  std::shared_mutex gate_;  // references shared; a gc batch exclusive
  mutable std::mutex mu_;   // guards everything below and each reservation's sets
  absl::flat_hash_set<Reservation*> live_;
  bool session_ = false;
  // Referenced by reservations that ended while the session ran.
  absl::flat_hash_set<Digest> ended_chunks_;
  absl::flat_hash_set<Digest> ended_contents_;
  // Contents of reservations ended within kRecentContentSeconds: when each was
  // last referenced, and the same in time order (for expiry).
  absl::flat_hash_map<Digest, int64_t> recent_contents_;
  std::deque<std::pair<int64_t, Digest>> recent_order_;
};

}  // namespace strata

#endif  // STRATA_STORE_GC_GATE_H_
