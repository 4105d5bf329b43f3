-- QA coverage and results per agent for a range of local days: every agent who handled contacts
-- or was evaluated in the range, so an agent nobody evaluated shows with zero evaluations.
-- grain: agent. params: $start, $end (local dates, inclusive), $timezone, $teams (list; empty
-- means all; an agent's team is the one they handled most contacts for in the range).
-- output: agent, team, handled, evaluations, qa_points, qa_points_possible.
with handled as (
    select agent, arg_max(team, contacts) as team, sum(handled)::bigint as handled
    from (
        select agent, team, sum(contacts) as contacts, sum(handled) as handled
        from quality
        where day between $start and $end and agent <> '(none)'
        group by agent, team
    )
    group by agent
),

evaluated as (
    select
        agent_id as agent,
        count(distinct evaluation_id) as evaluations,
        sum(score) as qa_points,
        sum(max_score) as qa_points_possible
    from qa
    where timezone($timezone, evaluated_at)::date between $start and $end
    group by agent_id
),

joined as (
    select
        coalesce(handled.agent, evaluated.agent) as agent,
        coalesce(handled.team, '(none)') as team,
        coalesce(handled.handled, 0) as handled,
        coalesce(evaluated.evaluations, 0) as evaluations,
        coalesce(evaluated.qa_points, 0) as qa_points,
        coalesce(evaluated.qa_points_possible, 0) as qa_points_possible
    from handled
    full outer join evaluated on handled.agent = evaluated.agent
),

final as (
    select *
    from joined
    where len($teams) = 0 or list_contains($teams, team)
)

select * from final order by agent
