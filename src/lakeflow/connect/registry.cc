#include "lakeflow/connect/registry.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>

namespace lakeflow {

ConnectorRegistry& ConnectorRegistry::Global() {
  static ConnectorRegistry* registry =
      new ConnectorRegistry();  // never destroyed: plugins may outlive exit order
  return *registry;
}

std::vector<std::string> ConnectorInfo::SecretOptions(const Options& options) const {
  std::vector<std::string> out = secret_options;
  if (secret_options_for) {
    for (auto& name : secret_options_for(options)) out.push_back(std::move(name));
  }
  return out;
}

void ConnectorRegistry::Register(ConnectorInfo info) {
  std::lock_guard lock(mu_);
  std::string name = AsciiLower(info.name);
  connectors_[name] = std::make_unique<ConnectorInfo>(std::move(info));
}

Result<const ConnectorInfo*> ConnectorRegistry::Find(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto it = connectors_.find(AsciiLower(name));
  if (it == connectors_.end()) {
    std::string known;
    for (const auto& [n, _] : connectors_) known += (known.empty() ? "" : ", ") + n;
    return Status::NotFound("unknown source '{}' (known sources: {})", name, known);
  }
  return static_cast<const ConnectorInfo*>(it->second.get());
}

Result<std::unique_ptr<LakeflowConnect>> ConnectorRegistry::Create(std::string_view name,
                                                                   const Options& options) const {
  LF_ASSIGN_OR_RETURN(const ConnectorInfo* info, Find(name));
  auto connector = info->factory(options);
  if (!connector.ok())
    return connector.status().WithContext(fmt::format("connector '{}'", info->name));
  return connector;
}

std::vector<std::string> ConnectorRegistry::Names() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [n, _] : connectors_) out.push_back(n);
  return out;
}

namespace {

// The ABI a plugin declares, read as at most kMaxAbiText bytes: the symbol is
// the plugin's data, and need not end where it should.
constexpr size_t kMaxAbiText = 200;

// Bytes from a foreign library, fit for one line of an error: printable ASCII.
std::string Printable(std::string_view bytes) {
  std::string out(bytes);
  for (char& c : out) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return out;
}

Status CheckPluginAbi(const std::string& path, void* handle) {
  const auto* abi = static_cast<const char*>(dlsym(handle, "lakeflow_plugin_abi"));
  if (!abi) {
    return Status::Invalid(
        "connector plugin '{}' declares no ABI (it exports no lakeflow_plugin_abi): declare it "
        "with LAKEFLOW_CONNECTOR_PLUGIN and rebuild it against this engine's SDK ({})",
        path, LAKEFLOW_PLUGIN_ABI);
  }
  std::string_view declared(abi, strnlen(abi, kMaxAbiText));
  if (declared == LAKEFLOW_PLUGIN_ABI) return Status::OK();
  return Status::Invalid(
      "connector plugin '{}' was built for '{}', this engine is '{}': rebuild the plugin "
      "against this engine's SDK",
      path, Printable(declared), LAKEFLOW_PLUGIN_ABI);
}

}  // namespace

Status LoadPlugin(const std::string& path, ConnectorRegistry* registry) {
  // RTLD_GLOBAL: the plugin resolves lakeflow's own symbols from the binary.
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL);
  if (!handle) return Status::Invalid("cannot load connector plugin '{}': {}", path, dlerror());
  // The handle stays open for the life of the process, even when refused:
  // closing a library whose static constructors ran is not always safe.
  LF_RETURN_IF_ERROR(CheckPluginAbi(path, handle));
  auto fn = reinterpret_cast<lakeflow_register_connectors_fn>(
      dlsym(handle, "lakeflow_register_connectors"));
  if (!fn) {
    return Status::Invalid("connector plugin '{}' does not export lakeflow_register_connectors",
                           path);
  }
  fn(registry);
  return Status::OK();
}

Status LoadPluginsFromEnv(ConnectorRegistry* registry) {
  const char* env = std::getenv("LAKEFLOW_PLUGINS");
  if (!env || !*env) return Status::OK();
  std::string_view rest(env);
  while (!rest.empty()) {
    auto colon = rest.find(':');
    std::string path(rest.substr(0, colon));
    if (!path.empty()) LF_RETURN_IF_ERROR(LoadPlugin(path, registry));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return Status::OK();
}

}  // namespace lakeflow
