#include "server/live/hub.hpp"

#include "integrations/redis/subscriber.hpp"
#include "server/log.hpp"

#include <vector>

namespace triage::server::live {

hub::hub(boost::asio::any_io_executor ex, integrations::redis::connection_settings settings,
         integrations::event_sink& sink, std::shared_ptr<integrations::redis::connection> publisher)
    : publisher_(std::move(publisher)) {
    sub_ = std::make_shared<integrations::redis::subscriber>(
        ex, std::move(settings), sink,
        [this](std::string_view channel, std::string_view payload) { deliver(channel, payload); },
        [this] { resync(); });
}

hub::~hub() { sub_->close(); }

void hub::listen(const std::string& channel, listener* l) {
    bool first = listeners_.find(channel) == listeners_.end();
    listeners_.emplace(channel, l);
    if (first) sub_->subscribe(channel);
}

void hub::stop_listening(const std::string& channel, listener* l) {
    auto [b, e] = listeners_.equal_range(channel);
    for (auto it = b; it != e; ++it)
        if (it->second == l) {
            listeners_.erase(it);
            break;
        }
    if (listeners_.find(channel) == listeners_.end()) sub_->unsubscribe(channel);
}

bool hub::listening(const std::string& channel) const { return sub_->subscribed(channel); }

void hub::deliver(std::string_view channel, std::string_view payload) {
    // A listener may stop listening from inside its callback: walk a copy.
    std::vector<listener*> targets;
    auto [b, e] = listeners_.equal_range(channel);
    for (auto it = b; it != e; ++it) targets.push_back(it->second);
    for (auto* l : targets) l->on_news(channel, payload);
}

void hub::resync() {
    std::vector<listener*> targets;
    for (auto& [c, l] : listeners_) targets.push_back(l);
    for (auto* l : targets) l->on_resync();
}

boost::asio::awaitable<bool> hub::publish(std::string channel, std::string payload) {
    std::vector<std::string> cmd{"PUBLISH", std::move(channel), std::move(payload)};
    auto r = co_await publisher_->async_command(std::move(cmd));
    if (!r) {
        log::warn("live.publish_failed", {{"ec", r.error()}});
        co_return false;
    }
    co_return true;
}

}  // namespace triage::server::live
