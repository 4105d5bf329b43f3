-- The interactions behind a row of the quality drill-down: one segment on a range of local days,
-- with their scores and handle times. Customer identifiers are never selected.
-- grain: interaction. params: $from, $to (instants: the local range's first moment and the
-- moment after it; they let the scan skip row groups by time), $timezone, $channels, $queues,
-- $teams (lists; empty means all), $dimension (channel, queue, team, agent or tier; '' for no
-- segment), $segment, $rated_only (only contacts with a CSAT rating), $limit.
-- output: interaction_id, arrived_local, channel, queue, team, agent_id, tier, csat_score,
-- nps_score, ces_score, resolved_first_contact, wait_seconds, talk_seconds, hold_seconds,
-- wrap_seconds, handle_seconds.
with in_range as (
    select *
    from interactions
    where arrived_at >= $from and arrived_at < $to
),

filtered as (
    select *
    from in_range
    where (len($channels) = 0 or list_contains($channels, channel))
        and (len($queues) = 0 or list_contains($queues, coalesce(queue, '(none)')))
        and (len($teams) = 0 or list_contains($teams, coalesce(team, '(none)')))
        and (not $rated_only or csat_score is not null)
        and ($dimension = '' or $segment = case $dimension
            when 'channel' then channel
            when 'queue' then coalesce(queue, '(none)')
            when 'team' then coalesce(team, '(none)')
            when 'agent' then coalesce(agent_id, '(none)')
            when 'tier' then coalesce('tier ' || tier::varchar, '(none)')
        end)
),

final as (
    select
        interaction_id,
        timezone($timezone, arrived_at) as arrived_local,
        channel,
        queue,
        team,
        agent_id,
        tier,
        csat_score,
        nps_score,
        ces_score,
        resolved_first_contact,
        epoch(answered_at - arrived_at) as wait_seconds,
        talk_seconds,
        hold_seconds,
        wrap_seconds,
        talk_seconds + coalesce(hold_seconds, 0) + coalesce(wrap_seconds, 0) as handle_seconds
    from filtered
    order by arrived_at, interaction_id
    limit $limit
)

select * from final
