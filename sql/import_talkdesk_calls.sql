-- The calls of a Talkdesk calls report (the relation talkdesk_read: import_talkdesk_csv.sql's or
-- import_talkdesk_json.sql's rows, a view the caller makes of either) typed and judged: the
-- contract's columns of each call, or the first reason it cannot be used. The docstring of
-- cxdash/importers/talkdesk.py states the mapping; in short: times with an offset are instants,
-- times without one are wall times in $zone (a repeated time is the first, a skipped one a
-- reason); durations are seconds or [h:]mm:ss; talk_time includes
-- hold_time, so talk_seconds = talk_time - hold_time (not below 0); an unanswered call has no talk,
-- hold or wrap; the agent of an answered call is its handling agent, else the agent it rang, by id
-- ('td-' || id) or, named only, by a pseudonym of the name ('td-agent-' || 16 hex of its SHA-256).
-- A record without any value holds no call (holds_call false): the caller does not count it, as a
-- blank line is not counted.
-- grain: one row per row of talkdesk_read (source_row carried through), in its order: no join,
--        aggregate or window here, so the rows stream out as they were read and need no sort after
--        (hence the chains of = where `in (...)` would do: DuckDB makes a join of a list of constants).
-- params: $zone (the zone of times without an offset), $skipped (the reason of a time the clock
--         skips, cxdash.calendar.SKIPPED_REASON), $limit (characters of a set-aside record kept).
-- output: source_row, holds_call, reason (null when the call is usable), record (the fields as read,
--         for a set-aside record, an agent's name as its pseudonym), interaction_id, channel, arrived_at,
--         answered_at, ended_at, abandoned, talk_seconds, hold_seconds, wrap_seconds, agent_id, team,
--         queue, csat_score, source_updated_at, no_wait, hold_over_talk, agent_by_name, voicemail.
with raw as (
    -- the values as read, without the blanks around them (trimmed only where there are some: trim
    -- is slow), an empty one null
    select
        source_row,
        -- a record with a value (tested on the values as read: the first one present settles it)
        problem is not null or call_id <> '' or type <> '' or start_at <> '' or end_at <> ''
            or talk_time <> '' or wait_time <> '' or hold_time <> '' or wrap_time <> '' or user_id <> ''
            or agent_name <> '' or handling_user_id <> '' or handling_agent_name <> '' or team_name <> ''
            or ring_groups <> '' or csat_score <> '' as holds_call,
        problem,
        record,
        nullif(case when starts_with(call_id, ' ') or ends_with(call_id, ' ')
                    then trim(call_id) else call_id end, '') as call_id,
        nullif(case when starts_with(type, ' ') or ends_with(type, ' ')
                    then trim(type) else type end, '') as type_text,
        nullif(case when starts_with(start_at, ' ') or ends_with(start_at, ' ')
                    then trim(start_at) else start_at end, '') as start_text,
        nullif(case when starts_with(end_at, ' ') or ends_with(end_at, ' ')
                    then trim(end_at) else end_at end, '') as end_text,
        nullif(case when starts_with(talk_time, ' ') or ends_with(talk_time, ' ')
                    then trim(talk_time) else talk_time end, '') as talk_text,
        nullif(case when starts_with(wait_time, ' ') or ends_with(wait_time, ' ')
                    then trim(wait_time) else wait_time end, '') as wait_text,
        nullif(case when starts_with(hold_time, ' ') or ends_with(hold_time, ' ')
                    then trim(hold_time) else hold_time end, '') as hold_text,
        nullif(case when starts_with(wrap_time, ' ') or ends_with(wrap_time, ' ')
                    then trim(wrap_time) else wrap_time end, '') as wrap_text,
        nullif(case when starts_with(user_id, ' ') or ends_with(user_id, ' ')
                    then trim(user_id) else user_id end, '') as user_id,
        nullif(case when starts_with(agent_name, ' ') or ends_with(agent_name, ' ')
                    then trim(agent_name) else agent_name end, '') as agent_name,
        nullif(case when starts_with(handling_user_id, ' ') or ends_with(handling_user_id, ' ')
                    then trim(handling_user_id) else handling_user_id end, '') as handling_user_id,
        nullif(case when starts_with(handling_agent_name, ' ') or ends_with(handling_agent_name, ' ')
                    then trim(handling_agent_name) else handling_agent_name end, '') as handling_agent_name,
        nullif(case when starts_with(team_name, ' ') or ends_with(team_name, ' ')
                    then trim(team_name) else team_name end, '') as team_name,
        nullif(case when starts_with(ring_groups, ' ') or ends_with(ring_groups, ' ')
                    then trim(ring_groups) else ring_groups end, '') as ring_groups,
        nullif(case when starts_with(csat_score, ' ') or ends_with(csat_score, ' ')
                    then trim(csat_score) else csat_score end, '') as csat_text
    from talkdesk_read
),

present as (
    select
        *,
        -- the type in lower case, other characters as _ (`Short Abandoned` = short_abandoned)
        case
            when type_text = 'inbound' or type_text = 'abandoned' or type_text = 'short_abandoned'
                or type_text = 'missed' or type_text = 'voicemail' or type_text = 'outbound'
                or type_text = 'outbound_missed' then type_text
            else trim(regexp_replace(lower(type_text), '[^0-9a-z]+', '_', 'g'), '_')
        end as kind,
        -- a time with an offset (Z, +hh:mm) is an instant; one without, a wall time in $zone
        case
            when ends_with(start_text, 'Z') then true
            else regexp_matches(start_text, '\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)$')
        end as start_aware,
        case
            when ends_with(end_text, 'Z') then true
            else regexp_matches(end_text, '\d\d:\d\d(?::\d\d(?:\.\d+)?)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)$')
        end as end_aware
    from raw
),

read_times as (
    select
        *,
        case when start_aware then try_cast(start_text as timestamptz) end as start_instant,
        case when not start_aware then try_cast(start_text as timestamp) end as start_wall,
        case when end_aware then try_cast(end_text as timestamptz) end as end_instant,
        case when not end_aware then try_cast(end_text as timestamp) end as end_wall
    from present
),

zoned as (
    -- ICU reads a wall time the clock repeats as the later instant: the first is the wall time less
    -- the offset in force a day before, when that names the same wall time
    select
        *,
        case when start_wall is not null then timezone($zone, start_wall) end as start_later,
        case when end_wall is not null then timezone($zone, end_wall) end as end_later
    from read_times
),

localized as (
    select
        *,
        case when start_wall is not null then timezone('UTC', start_wall
            - (timezone($zone, start_later - interval 1 day) - timezone('UTC', start_later - interval 1 day)))
        end as start_first,
        case when end_wall is not null then timezone('UTC', end_wall
            - (timezone($zone, end_later - interval 1 day) - timezone('UTC', end_later - interval 1 day)))
        end as end_first,
        start_wall is not null and timezone($zone, start_later) <> start_wall as start_skipped,
        end_wall is not null and timezone($zone, end_later) <> end_wall as end_skipped
    from zoned
),

typed as (
    select
        *,
        case
            when start_aware then start_instant
            when start_wall is null or start_skipped then null
            when start_first < start_later and timezone($zone, start_first) = start_wall then start_first
            else start_later
        end as start_at,
        case
            when end_aware then end_instant
            when end_wall is null or end_skipped then null
            when end_first < end_later and timezone($zone, end_first) = end_wall then end_first
            else end_later
        end as end_at,
        -- durations: seconds, or [h:]mm:ss as the Explore UI shows them
        case
            when isfinite(try_cast(talk_text as double)) then try_cast(talk_text as double)
            when regexp_full_match(talk_text, '(?:\d+:)?\d\d?:\d\d?(?:\.\d+)?') then
                list_reduce(list_transform(string_split(talk_text, ':'), lambda x: x::double),
                            lambda a, b: a * 60 + b)
        end as talk,
        case
            when isfinite(try_cast(wait_text as double)) then try_cast(wait_text as double)
            when regexp_full_match(wait_text, '(?:\d+:)?\d\d?:\d\d?(?:\.\d+)?') then
                list_reduce(list_transform(string_split(wait_text, ':'), lambda x: x::double),
                            lambda a, b: a * 60 + b)
        end as wait,
        case
            when isfinite(try_cast(hold_text as double)) then try_cast(hold_text as double)
            when regexp_full_match(hold_text, '(?:\d+:)?\d\d?:\d\d?(?:\.\d+)?') then
                list_reduce(list_transform(string_split(hold_text, ':'), lambda x: x::double),
                            lambda a, b: a * 60 + b)
        end as hold,
        case
            when isfinite(try_cast(wrap_text as double)) then try_cast(wrap_text as double)
            when regexp_full_match(wrap_text, '(?:\d+:)?\d\d?:\d\d?(?:\.\d+)?') then
                list_reduce(list_transform(string_split(wrap_text, ':'), lambda x: x::double),
                            lambda a, b: a * 60 + b)
        end as wrap,
        case when isfinite(try_cast(csat_text as double)) then try_cast(csat_text as double) end as csat,
        kind = 'inbound' as answered
    from localized
),

judged as (
    select
        *,
        case
            when problem is not null then problem
            when call_id is null then 'call without a call_id'
            when kind = 'outbound' or kind = 'outbound_missed'
                then 'outbound call (not a customer contact arriving)'
            when type_text is null then 'call without a type'
            when not (kind = 'inbound' or kind = 'abandoned' or kind = 'short_abandoned' or kind = 'missed'
                      or kind = 'voicemail')
                then 'call type not known: ' || type_text
            when start_text is null then 'call without start_at'
            when start_skipped then 'start_at: ' || $skipped
            when start_at is null then 'start_at: not a timestamp'
            when end_skipped then 'end_at: ' || $skipped
            when end_text is not null and end_at is null then 'end_at: not a timestamp'
            when talk_text is not null and talk is null then 'talk_time: not seconds or hh:mm:ss'
            when talk < 0 then 'talk_time: negative'
            when wait_text is not null and wait is null then 'wait_time: not seconds or hh:mm:ss'
            when wait < 0 then 'wait_time: negative'
            when hold_text is not null and hold is null then 'hold_time: not seconds or hh:mm:ss'
            when hold < 0 then 'hold_time: negative'
            when wrap_text is not null and wrap is null then 'wrap_time: not seconds or hh:mm:ss'
            when wrap < 0 then 'wrap_time: negative'
            when csat_text is not null and csat is null then 'csat_score: not a number'
            when end_at < start_at then 'end_at before start_at'
        end as reason
    from typed
),

final as (
    select
        source_row,
        coalesce(holds_call, false) as holds_call,
        reason,
        -- (case, not coalesce, wherever a branch is dear: DuckDB works out every argument of a
        -- coalesce, for every row)
        case
            when reason is null then null
            when record is not null then left(record, $limit)
            else left(to_json({
                'call_id': call_id, 'type': type_text, 'start_at': start_text, 'end_at': end_text,
                'talk_time': talk_text, 'wait_time': wait_text, 'hold_time': hold_text,
                'wrap_time': wrap_text, 'user_id': user_id,
                'agent_name': 'td-agent-' || left(sha256(agent_name), 16),
                'handling_user_id': handling_user_id,
                'handling_agent_name': 'td-agent-' || left(sha256(handling_agent_name), 16),
                'team_name': team_name, 'ring_groups': ring_groups, 'csat_score': csat_text})::varchar, $limit)
        end as record,
        'td-' || call_id as interaction_id,
        'phone' as channel,
        start_at as arrived_at,
        case when answered then start_at + to_seconds(coalesce(wait, 0)) end as answered_at,
        end_at as ended_at,
        kind = 'abandoned' or kind = 'short_abandoned' or kind = 'missed' as abandoned,
        -- Talkdesk's talk_time includes the hold: handle time = talk + hold + wrap counts it once
        case when answered and talk is not null then greatest(talk - coalesce(hold, 0), 0) end
            as talk_seconds,
        case when answered then hold end as hold_seconds,
        case when answered then wrap end as wrap_seconds,
        case
            when not answered then null
            when handling_user_id is not null then 'td-' || handling_user_id
            when handling_agent_name is not null then 'td-agent-' || left(sha256(handling_agent_name), 16)
            when user_id is not null then 'td-' || user_id
            when agent_name is not null then 'td-agent-' || left(sha256(agent_name), 16)
        end as agent_id,
        team_name as team,
        ring_groups as queue,
        csat as csat_score,
        end_at as source_updated_at,
        answered and wait is null as no_wait,
        answered and coalesce(hold > talk, false) as hold_over_talk,
        answered and handling_user_id is null and user_id is null
            and coalesce(handling_agent_name, agent_name) is not null as agent_by_name,
        kind = 'voicemail' as voicemail
    from judged
)

select * from final
