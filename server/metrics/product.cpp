#include "server/metrics/product.hpp"

namespace triage::server::metrics {

product_metrics& product() {
    static product_metrics m;
    return m;
}

void product_metrics::write(text_writer& w) const {
    w.write(conversations);
    w.write(turns);
    w.write(turn_errors);
    w.write(frames_rejected);
    w.write(red_flags);
    w.write(escalations);
    w.write(claims);
    w.write(feedback);
    w.write(booking_calls);
    w.write(remote_model_calls);
    w.write(integration_events);
    w.write(turn_seconds);
    w.write(step_seconds);
    w.write(red_flag_seconds);
    w.write(booking_seconds);
    w.write(time_to_claim);
    w.write(websockets);
    w.write(drift_psi);
    w.write(drift_alerts);
}

}  // namespace triage::server::metrics
