-- Daily measures of one prepared interactions file: the numerators and denominators every KPI needs.
-- Every per-contact definition (live vs async, short abandon, service level, survey buckets) is made
-- here, once; the metric registry (cxdash/metrics.py) only divides these sums.
-- grain: local day x channel x queue x team x agent x tier (tier may be null; the store keeps this
-- grain for the quality drill-down and sums agent and tier out for the overview, see load_daily.sql).
-- params: $path, $timezone, $live_channels, $async_channels, $service_level_seconds,
--         $short_abandon_seconds, $response_channels, $response_seconds.
-- output: day, channel, queue, team, agent, tier, then the measures below (counts and sums of seconds or scores).
with interactions as (
    select * from read_parquet($path)
),

classified as (
    select
        timezone($timezone, arrived_at)::date as day,
        channel,
        coalesce(queue, '(none)') as queue,
        coalesce(team, '(none)') as team,
        coalesce(agent_id, '(none)') as agent,
        tier,
        list_contains($live_channels, channel) as is_live,
        list_contains($async_channels, channel) as is_async,
        -- the contract derives an absent abandoned flag: a live contact never answered abandoned
        coalesce(abandoned, answered_at is null and list_contains($live_channels, channel))
            as is_abandoned,
        answered_at is not null as is_answered,
        -- seconds between two instants from their microseconds: subtracting timestamps with a zone
        -- goes through the ICU calendar, several times slower for the same elapsed time
        (epoch_us(answered_at) - epoch_us(arrived_at)) / 1e6 as wait_seconds,
        -- for an abandoned contact, ended_at is when the customer left the queue
        (epoch_us(ended_at) - epoch_us(arrived_at)) / 1e6 as time_in_queue_seconds,
        answered_at is not null
            and coalesce(talk_seconds, hold_seconds, wrap_seconds) is not null as is_handled,
        coalesce(talk_seconds, 0) + coalesce(hold_seconds, 0) + coalesce(wrap_seconds, 0)
            as handle_seconds,
        $response_seconds[list_position($response_channels, channel)] as response_target_seconds,
        csat_score,
        nps_score,
        ces_score,
        resolved_first_contact
    from interactions
),

flagged as (
    select
        *,
        is_live and is_abandoned
            and coalesce(time_in_queue_seconds < $short_abandon_seconds, false) as is_short_abandon
    from classified
),

final as (
    select
        day,
        channel,
        queue,
        team,
        agent,
        tier,
        count(*) as contacts,
        count(*) filter (where is_answered or (channel = 'self_service' and not is_abandoned))
            as served,
        count(*) filter (where is_live and not is_short_abandon) as live_offered,
        count(*) filter (where is_live and is_answered) as live_answered,
        count(*) filter (where is_live and is_abandoned and not is_short_abandon) as live_abandoned,
        count(*) filter (where is_short_abandon) as live_short_abandoned,
        count(*) filter (where is_live and is_answered and wait_seconds <= $service_level_seconds)
            as live_answered_within_threshold,
        count(*) filter (where is_live and is_abandoned and not is_short_abandon
            and time_in_queue_seconds <= $service_level_seconds) as live_abandoned_within_threshold,
        coalesce(sum(wait_seconds) filter (where is_live and is_answered), 0) as live_wait_seconds,
        count(*) filter (where is_handled) as handled,
        coalesce(sum(handle_seconds) filter (where is_handled), 0) as handle_seconds,
        count(*) filter (where is_async and response_target_seconds is not null) as async_contacts,
        count(*) filter (where is_async and is_answered
            and wait_seconds <= response_target_seconds) as async_responded_within_target,
        count(csat_score) as csat_rated,
        count(*) filter (where csat_score >= 4) as csat_good,
        count(*) filter (where csat_score <= 2) as csat_bad,
        coalesce(sum(csat_score), 0) as csat_score_sum,
        count(*) filter (where csat_score = 1) as csat_1,
        count(*) filter (where csat_score = 2) as csat_2,
        count(*) filter (where csat_score = 3) as csat_3,
        count(*) filter (where csat_score = 4) as csat_4,
        count(*) filter (where csat_score = 5) as csat_5,
        count(nps_score) as nps_responses,
        count(*) filter (where nps_score >= 9) as nps_promoters,
        count(*) filter (where nps_score <= 6) as nps_detractors,
        count(ces_score) as ces_responses,
        coalesce(sum(ces_score), 0) as ces_score_sum,
        count(resolved_first_contact) as fcr_known,
        count(*) filter (where resolved_first_contact) as fcr_resolved,
        count(*) filter (where tier = 1) as tier_1,
        count(*) filter (where tier = 2) as tier_2,
        count(*) filter (where tier = 3) as tier_3
    from flagged
    group by all
)

select * from final order by day, channel, queue, team, agent, tier
