// Plugins the engine must refuse before running any of their code: one built
// for another ABI (FOREIGN_PLUGIN_ABI defined: the ABI it declares), one that
// declares none (a plugin from before ABI versions). Their registration
// aborts, so a loader that called it fails the test loudly.
#include <cstdlib>

namespace lakeflow {
class ConnectorRegistry;
}  // namespace lakeflow

#ifdef FOREIGN_PLUGIN_ABI
extern "C" __attribute__((visibility("default"))) const char lakeflow_plugin_abi[] =
    FOREIGN_PLUGIN_ABI;
#endif

extern "C" __attribute__((visibility("default"))) void lakeflow_register_connectors(
    lakeflow::ConnectorRegistry*) {
  std::abort();
}
