#pragma once

#include <core/cache/sharedinformer.h>
#include <core/client/restclient.h>
#include <core/transport/httpmessage.h>

#include <memory>
#include <string>

namespace kd::lc::controllers {

// Shared informers by collection and flavour, so that several controllers watching namespaces
// share one list+watch. Owned by the ControllerManager; any thread.
class InformerFactory final
{
public:
    explicit InformerFactory(core::client::RestClient &client, core::transport::Executor executor);
    ~InformerFactory();
    InformerFactory(const InformerFactory &) = delete;
    InformerFactory &operator=(const InformerFactory &) = delete;

    // The informer of a whole cluster-wide collection; created (and started, once startAll() ran)
    // on first use. `fieldSelector` narrows what is cached ("metadata.name=default").
    std::shared_ptr<core::cache::SharedInformer>
    informer(const core::api::GroupVersionResource &gvr, bool namespaced,
             core::cache::Flavour flavour, const std::string &fieldSelector = {});
    void startAll();
    void stopAll();

private:
    class Private;
    std::unique_ptr<Private> d;
};

} // namespace kd::lc::controllers
