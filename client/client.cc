#include "client/client.h"

#include "client/remote_client.h"
#include "store/status_macros.h"
#include "store/store.h"

namespace strata {

std::unique_ptr<StoreClient> OpenLocalClient(std::unique_ptr<Store> store,
                                             bool ingest_profiles);  // local_client.cc

absl::StatusOr<std::unique_ptr<StoreClient>> ConnectClient(const ClientOptions& options) {
  if (!options.server.empty()) {
    ASSIGN_OR_RETURN(auto remote, RemoteClient::Connect(options));
    return std::unique_ptr<StoreClient>(std::move(remote));
  }
  StoreOptions store_options;
  store_options.create_if_missing = options.create_store;
  ASSIGN_OR_RETURN(auto store, Store::Open(options.store_dir, store_options));
  return OpenLocalClient(std::move(store), options.ingest_profiles);
}

}  // namespace strata
