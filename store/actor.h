// Actor: who did something, as the records of versions, deletions, alias moves,
// runs, retention policies and tokens keep it.
#ifndef STRATA_STORE_ACTOR_H_
#define STRATA_STORE_ACTOR_H_

#include <string>
#include <utility>

namespace strata {

// Who acted, and for whom they said they acted. On a server that authenticates,
// `who` is the owner of the request's token and `on_behalf_of` the name the client
// sent (X-Strata-Creator), which the server cannot check; elsewhere (a local store,
// a server without tokens) `who` is the name the caller gave and `on_behalf_of` is
// empty. A plain name converts to an Actor with no on_behalf_of.
struct Actor {
  Actor() = default;
  Actor(std::string who) : who(std::move(who)) {}  // NOLINT(runtime/explicit)
  Actor(const char* who) : who(who) {}             // NOLINT(runtime/explicit)
  // `on_behalf_of` is dropped when it is empty or equals `who`.
  Actor(std::string who, std::string on_behalf_of)
      : who(std::move(who)),
        on_behalf_of(on_behalf_of == this->who ? std::string()
                                               : std::move(on_behalf_of)) {}

  std::string who;
  std::string on_behalf_of;  // empty: none
};

// "ci-bot (on behalf of mallory)", or just "ci-bot": a record's who for people.
inline std::string DescribeActor(const std::string& who,
                                 const std::string& on_behalf_of) {
  return on_behalf_of.empty() ? who : who + " (on behalf of " + on_behalf_of + ")";
}

}  // namespace strata

#endif  // STRATA_STORE_ACTOR_H_
