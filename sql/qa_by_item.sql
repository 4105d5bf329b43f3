-- QA results per scorecard item for a range of local days, optionally for some teams.
-- grain: scorecard item. params: $start, $end (local dates of evaluated_at, inclusive),
-- $timezone, $teams (list; empty means all; an agent's team is the one they handled most
-- contacts for in the range).
-- output: item, evaluations, qa_points, qa_points_possible.
with agent_teams as (
    select agent, arg_max(team, contacts) as team
    from (
        select agent, team, sum(contacts) as contacts
        from quality
        where day between $start and $end and agent <> '(none)'
        group by agent, team
    )
    group by agent
),

evaluations as (
    select qa.*
    from qa
    left join agent_teams on agent_teams.agent = qa.agent_id
    where timezone($timezone, qa.evaluated_at)::date between $start and $end
        and (len($teams) = 0 or list_contains($teams, coalesce(agent_teams.team, '(none)')))
),

final as (
    select
        item,
        count(distinct evaluation_id) as evaluations,
        sum(score) as qa_points,
        sum(max_score) as qa_points_possible
    from evaluations
    group by item
)

select * from final order by item
