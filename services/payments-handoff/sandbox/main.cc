// payments-sandbox: a stand-in payment provider for local runs and tests.
// It is not part of a production deployment.
#include "absl/strings/str_cat.h"
#include "clock/clock.h"
#include "log/log.h"
#include "provider_registry.h"
#include "sandbox_provider.h"
#include "server/server.h"
#include "settings/settings.h"

int main(int argc, char** argv) {
  pp::log::ReportCrashes(argv[0]);
  pp::BlockStopSignals();
  pp::IgnoreHangups("payments-sandbox");

  pp::Settings settings("payments-sandbox",
                        "A sandbox payment provider for local runs and tests; no money moves.");
  settings.AddString("http_address", "127.0.0.1:8090", "host:port the sandbox listens on");
  settings.AddString("providers_file", "",
                     "the portal's providers JSON file, read for this provider's audience and "
                     "callback secret; required");
  settings.AddString("provider_id", "sandbox", "this provider's id in the providers file");
  settings.AddString("issuer", "http://127.0.0.1:8080", "the iss the assertions must carry");
  settings.AddString("jwks_url", "http://127.0.0.1:8080/.well-known/jwks.json",
                     "where the portal publishes its keys");
  settings.AddString("callback_url", "http://127.0.0.1:8080/services/payments/callback",
                     "where the portal takes callbacks");
  settings.AddString("return_url", "http://127.0.0.1:8080/services/payments/receipts",
                     "where the browser goes after the payment");
  settings.ParseOrExit(argc, argv);

  auto registry = pp::payments::ProviderRegistry::Load(settings.GetString("providers_file"));
  if (!registry.ok()) {
    pp::log::Error("providers_load_failed").Field("error", registry.status().message());
    return 1;
  }
  auto provider = (*registry)->ById(settings.GetString("provider_id"));
  if (!provider) {
    pp::log::Error("provider_missing")
        .Field("error", absl::StrCat("the providers file has no provider \"",
                                     settings.GetString("provider_id"), "\""));
    return 1;
  }

  pp::SystemClock clock;
  pp::payments::HttpKeySource keys(settings.GetString("jwks_url"));
  pp::payments::SandboxOptions options{provider->id(),
                                       provider->audience(),
                                       settings.GetString("issuer"),
                                       provider->callback_secret(),
                                       settings.GetString("callback_url"),
                                       settings.GetString("return_url")};
  pp::payments::SandboxProvider sandbox(options, keys, clock);
  absl::StatusOr<int> port = sandbox.Start(settings.GetString("http_address"));
  if (!port.ok()) {
    pp::log::Error("sandbox_start_failed").Field("error", port.status().message());
    return 1;
  }
  pp::log::Info("listening")
      .Field("binary", "payments-sandbox")
      .Field("address", settings.GetString("http_address"))
      .Field("port", *port);
  int signal = pp::WaitForStopSignal();
  pp::log::Info("stopping").Field("signal", signal);
  sandbox.Stop();
  return 0;
}
