#pragma once
// The product's own metrics (docs/observability.md lists them with their meaning). One instance
// per process, shared by every I/O thread; label values are codes from closed sets (clinic slugs,
// urgency levels, step names, outcome codes), never patient text.

#include "server/metrics/registry.hpp"

#include <chrono>

namespace triage::server::metrics {

struct product_metrics {
    family<counter> conversations{"triage_conversations_started_total",
                                  "Patient conversations started.", {"clinic", "lang"}};
    family<counter> turns{"triage_turns_total", "Patient messages stored and acknowledged.", {"clinic", "urgency"}};
    family<counter> turn_errors{"triage_turn_errors_total",
                                "Patient messages answered with an error instead of an acknowledgement.",
                                {"reason"}};
    family<counter> frames_rejected{"triage_frames_rejected_total",
                                    "Patient frames refused as malformed or not allowed.", {"code"}};
    family<counter> red_flags{"triage_red_flags_total",
                              "Patient messages answered at once with a safety instruction.",
                              {"clinic", "urgency"}};
    family<counter> escalations{"triage_escalations_total", "Escalations raised to the staff desk.",
                                {"clinic", "urgency", "reason"}};
    family<counter> claims{"triage_escalations_claimed_total", "Escalations claimed by staff.", {"clinic"}};
    family<counter> feedback{"triage_feedback_total",
                             "Clinicians' verdicts on the product's triage of an escalation (right, over- or under-triaged).",
                             {"clinic", "verdict"}};
    family<counter> booking_calls{"triage_booking_calls_total",
                                  "Booking calls carried out for the flow (each one or more FHIR requests), by outcome.",
                                  {"call", "outcome"}};
    family<counter> remote_model_calls{"triage_remote_model_calls_total",
                                       "Calls to the remote intent model by outcome.", {"outcome"}};
    // What the integrations report (redis.disconnected, pg.query_failed, fhir.breaker_open,
    // remote_intent.breaker_open, ...): a closed set of literals (integrations/event_sink.hpp).
    family<counter> integration_events{"triage_integration_events_total",
                                       "Events reported by the Redis, PostgreSQL, FHIR and remote-model clients.",
                                       {"event"}};

    family<histogram> turn_seconds{"triage_turn_seconds",
                                   "Patient message: from the frame's arrival to its acknowledgement written.",
                                   {}, latency_buckets()};
    family<histogram> step_seconds{"triage_turn_step_seconds", "Time spent in each step of a patient turn.",
                                   {"step"}, latency_buckets()};
    family<histogram> red_flag_seconds{"triage_red_flag_instruction_seconds",
                                       "Red flag: from the frame's arrival to the safety instruction written.",
                                       {}, latency_buckets()};
    family<histogram> booking_seconds{"triage_booking_call_seconds", "Booking calls carried out for the flow.",
                                      {"call"}, latency_buckets()};
    family<histogram> time_to_claim{"triage_escalation_time_to_claim_seconds",
                                    "From an escalation raised to its claim by staff.", {"clinic"},
                                    waiting_buckets()};

    family<gauge> websockets{"triage_websocket_connections", "Open WebSocket connections.", {"kind"}};
    // The last drift check of each clinic (server/staff/drift.hpp): the population stability
    // index of each statistic, current window against reference, and how many are in alert.
    family<gauge> drift_psi{"triage_drift_psi",
                            "Population stability index of a triage statistic, last day against the 28 days before.",
                            {"clinic", "slice", "statistic"}};
    family<gauge> drift_alerts{"triage_drift_alerts", "Triage statistics whose drift is beyond the alert threshold.",
                               {"clinic"}};

    // The children a patient turn updates, resolved once so that a turn takes no lock and
    // allocates nothing for them (they also show at 0 before the first turn).
    histogram& turn_latency = turn_seconds.with({});
    histogram& red_flag_latency = red_flag_seconds.with({});
    struct turn_steps {
        histogram &rules, &urgency_model, &intent, &language, &remote_model, &flow, &explain, &redis_load, &booking,
            &postgres_commit, &redis_save, &reply;
    };
    const turn_steps steps{step_seconds.with({"rules"}),        step_seconds.with({"urgency_model"}),
                           step_seconds.with({"intent"}),       step_seconds.with({"language"}),
                           step_seconds.with({"remote_model"}), step_seconds.with({"flow"}),
                           step_seconds.with({"explain"}),      step_seconds.with({"redis_load"}),
                           step_seconds.with({"booking"}),      step_seconds.with({"postgres_commit"}),
                           step_seconds.with({"redis_save"}),   step_seconds.with({"reply"})};

    // Everything stored here, in the exposition format.
    void write(text_writer& w) const;
};

// The process's one set (like the log, there is one per process; tests read it too).
product_metrics& product();

// Seconds since `start` on the steady clock.
inline double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace triage::server::metrics
