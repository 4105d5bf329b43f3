-- Genesys Cloud conversation details, one conversation per line of a JSON-lines file, each turned into
-- one contract row or the reason it is set aside (cxdash/importers/genesys.py's docstring states the
-- rules). The file is streamed: each line is parsed once into the fields read (json_transform), its
-- participants summed up with list functions, never unnested into rows, so a million conversations
-- never sit in memory as JSON. A line that is a page or an array of conversations is flagged
-- (kind container) for the importer to read that file as documents (import_genesys_documents.sql).
-- grain: one row per line of the file read (line_no unique: the line's number, as an editor shows it;
--        rows may come out of the file's order), blank lines included, the kinds blank and status
--        left out by the importer.
-- params: $path, $name (the file's name), $separator (a character that never occurs unescaped in JSON,
--         so a line is one value), $limit (characters of a set-aside line kept), $live_channels (the
--         settings' live channels), $queue_ids, $queue_names (the mapping's [queues] table, in pairs),
--         $parts, $part (the lines read: those whose number is $part modulo $parts; 1, 0 for all).
-- output: source_file, line_no, kind (conversation: an object with a conversationId; container: a page or an
--         array; status: a page's status alone (totalHits, cursor, ...), no record; blank: no record;
--         invalid: not JSON; other, bad page: JSON that is no conversation), reason (null for a contact,
--         a container, a status and a blank line), record (the line, cut to $limit, when it has a
--         reason or is a container), interaction_id, channel, arrived_at, queue, answered_at, ended_at,
--         abandoned, talk_seconds, hold_seconds, wrap_seconds, agent_id, team, tier,
--         resolved_first_contact, csat_score, nps_score, ces_score, customer_id, source_updated_at.
with lines as (
    -- every line, blank ones too, numbered as read (DuckDB numbers on one thread, and runs what
    -- follows in the same pipeline on it: the parts of db.in_parts parse their shares at once)
    select
        ordinality as line_no,
        line,
        -- trim reads the whole line: only a line that starts with a space, tab or carriage return is
        -- trimmed (a case, not and: and computes both sides of every row)
        case when line is null then true when ord(line) in (32, 9, 13) then trim(line) = '' else false end
            as blank
    from read_csv($path, columns = {'line': 'VARCHAR'}, header = false, delim = $separator,
                  quote = '', escape = '', auto_detect = false, strict_mode = false,
                  max_line_size = 8388608, buffer_size = 16777216) with ordinality
),

parsed as (
    -- one parse per line into the fields read; a line that is not JSON gives null
    select
        line_no,
        line,
        blank,
        -- every line (a blank one gives null); only a valid line is transformed: an error inside try()
        -- makes DuckDB redo the whole chunk of 2,048 lines one by one, so a few bad lines cost seconds
        try(case when json_valid(line) then json_transform(line, '{
            "conversationId": "JSON", "conversations": "JSON",
            "conversationStart": "VARCHAR", "conversationEnd": "VARCHAR",
            "originatingDirection": "VARCHAR", "selfServed": "BOOLEAN",
            "participants": [{
                "participantId": "VARCHAR", "participantName": "VARCHAR", "purpose": "VARCHAR",
                "userId": "VARCHAR", "teamId": "VARCHAR", "externalContactId": "VARCHAR",
                "sessions": [{
                    "mediaType": "VARCHAR", "messageType": "VARCHAR", "direction": "VARCHAR",
                    "ani": "VARCHAR", "addressFrom": "VARCHAR", "queueName": "VARCHAR",
                    "outboundCampaignId": "VARCHAR", "agentOwned": "BOOLEAN",
                    "segments": [{
                        "segmentStart": "TIMESTAMPTZ", "segmentEnd": "TIMESTAMPTZ",
                        "segmentType": "VARCHAR", "queueId": "VARCHAR", "queueName": "VARCHAR",
                        "disconnectType": "VARCHAR"}],
                    "metrics": [{"name": "VARCHAR", "value": "DOUBLE"}]}]}],
            "surveys": [{"surveyPromoterScore": "DOUBLE", "surveyCompletedDate": "TIMESTAMPTZ",
                         "eventTime": "TIMESTAMPTZ"}],
            "resolutions": [{"nNextContactAvoided": "DOUBLE", "eventTime": "TIMESTAMPTZ"}]}') end) as c
    from lines
    where line_no % $parts = $part  -- this part's share of the lines (db.in_parts)
),

classified as (
    select
        line_no,
        line,
        c,
        case
            when blank then 'blank'
            when c is null then case when json_valid(line) then 'other' else 'invalid' end
            when c.conversationId is not null and c.conversations is null then 'conversation'
            when starts_with(ltrim(line), '[') then 'container'
            when c.conversations is not null
                then case when json_type(c.conversations) = 'ARRAY' then 'container' else 'bad page' end
            when c.conversationId is not null then 'conversation'
            when len(json_keys(line)) > 0
                and list_has_all(['totalHits', 'cursor', 'dataAvailabilityDate', 'state', 'errorMessage'],
                                 json_keys(line)) then 'status'
            else 'other'
        end as kind
    from parsed
),

participants as (
    -- each participant with its segments and metrics over all its sessions
    select
        line_no,
        line,
        c,
        kind,
        case when json_type(c.conversationId) = 'VARCHAR' then trim(c.conversationId ->> '$') end
            as conversation_id,
        try_cast(c.conversationStart as timestamptz) as started_at,
        try_cast(c.conversationEnd as timestamptz) as conversation_end,
        list_transform(c.participants, lambda p: lower(trim(p.purpose))) as purposes,
        list_transform(c.participants, lambda p, i: {
            'number': i,
            'purpose': lower(trim(p.purpose)),
            'participant_id': p.participantId,
            'name': p.participantName,
            'user_id': p.userId,
            'team_id': p.teamId,
            'external_id': p.externalContactId,
            'segments': flatten(list_transform(p.sessions, lambda s: s.segments)),
            'metrics': flatten(list_transform(p.sessions, lambda s: s.metrics))
        }) as members
    from classified
),

summed as (
    -- what the customers, the queues and the agents did: when they started and ended, an agent's first
    -- interact, its measured times (its metrics; a time without its metric is measured from its
    -- segments); nothing for the others (IVR, flows)
    select
        *,
        list_transform(members, lambda p: case when p.purpose in ('customer', 'external') then {
            'number': p.number,
            'purpose': p.purpose,
            'user_id': p.user_id,
            'external_id': p.external_id,
            'started_at': list_min(list_transform(p.segments, lambda g: g.segmentStart)),
            'ended_at': list_max(list_transform(p.segments, lambda g: g.segmentEnd))
        } when p.purpose in ('acd', 'agent', 'user') then {
            'number': p.number,
            'purpose': p.purpose,
            'participant_id': p.participant_id,
            'name': p.name,
            'user_id': p.user_id,
            'team_id': p.team_id,
            'queue_id': coalesce(p.segments[1].queueId, list_filter(list_transform(p.segments,
                lambda g: g.queueId), lambda q: q is not null)[1]),
            'started_at': list_min(list_transform(p.segments, lambda g: g.segmentStart)),
            'interact_at': case when p.purpose <> 'acd' then list_min(list_transform(p.segments,
                lambda g: case when lower(g.segmentType) = 'interact' then g.segmentStart end)) end,
            'ended_at': case when p.purpose <> 'acd' then list_max(list_transform(p.segments,
                lambda g: g.segmentEnd)) end,
            'talk_ms': case when p.purpose <> 'acd' then coalesce(
                list_sum(list_transform(p.metrics, lambda m: case when m.name = 'tTalk' and m.value >= 0
                                                                   and isfinite(m.value) then m.value end)),
                list_sum(list_transform(p.segments, lambda g: case when lower(g.segmentType) = 'interact'
                    and g.segmentEnd >= g.segmentStart
                    then epoch_ms(g.segmentEnd) - epoch_ms(g.segmentStart) end))) end,
            'hold_ms': case when p.purpose <> 'acd' then coalesce(
                list_sum(list_transform(p.metrics, lambda m: case when m.name = 'tHeld' and m.value >= 0
                                                                   and isfinite(m.value) then m.value end)),
                list_sum(list_transform(p.segments, lambda g: case when lower(g.segmentType) = 'hold'
                    and g.segmentEnd >= g.segmentStart
                    then epoch_ms(g.segmentEnd) - epoch_ms(g.segmentStart) end))) end,
            'wrap_ms': case when p.purpose <> 'acd' then coalesce(
                list_sum(list_transform(p.metrics, lambda m: case when m.name = 'tAcw' and m.value >= 0
                                                                   and isfinite(m.value) then m.value end)),
                list_sum(list_transform(p.segments, lambda g: case when lower(g.segmentType) = 'wrapup'
                    and g.segmentEnd >= g.segmentStart
                    then epoch_ms(g.segmentEnd) - epoch_ms(g.segmentStart) end))) end,
            'transfer': case when p.purpose <> 'acd' then list_bool_or(list_transform(p.segments,
                lambda g: lower(g.disconnectType) = 'transfer')) end
        } end) as people
    from participants
),

roles as (
    -- the customer (the first customer participant, else the first external one), the queues, and
    -- the agents who handled the conversation (an agent only alerted did not)
    select
        *,
        coalesce(list_position(purposes, 'customer'), list_position(purposes, 'external')) as customer_number,
        list_filter(people, lambda p: p.purpose = 'acd') as acds,
        list_filter(people, lambda p: p.interact_at is not null) as handlers
    from summed
),

customer as (
    select
        *,
        case when customer_number is not null then {
            'user_id': people[customer_number].user_id,
            'external_id': people[customer_number].external_id,
            'started_at': people[customer_number].started_at,
            'ended_at': people[customer_number].ended_at,
            -- the first session with a mediaType (its kind of message with it)
            'media_type': lower(coalesce(c.participants[customer_number].sessions[1].mediaType,
                list_filter(c.participants[customer_number].sessions,
                            lambda s: s.mediaType is not null)[1].mediaType)),
            'message_type': lower(case when c.participants[customer_number].sessions[1].mediaType is not null
                then c.participants[customer_number].sessions[1].messageType
                else list_filter(c.participants[customer_number].sessions,
                                 lambda s: s.mediaType is not null)[1].messageType end),
            'direction': lower(coalesce(c.participants[customer_number].sessions[1].direction,
                list_filter(list_transform(c.participants[customer_number].sessions, lambda s: s.direction),
                            lambda d: d is not null)[1])),
            'address': lower(coalesce(nullif(trim(c.participants[customer_number].sessions[1].ani), ''),
                nullif(trim(c.participants[customer_number].sessions[1].addressFrom), ''),
                list_filter(list_transform(c.participants[customer_number].sessions, lambda s: coalesce(
                    nullif(trim(s.ani), ''), nullif(trim(s.addressFrom), ''))), lambda a: a is not null)[1]))
        } end as customer
    from roles
),

firsts as (
    select
        *,
        -- no conversationEnd (older exports): finished when every segment has ended, at the last end
        coalesce(conversation_end, case
            when nullif(trim(c.conversationEnd), '') is null
                and not coalesce(list_bool_or(list_transform(c.participants, lambda p: list_bool_or(flatten(
                    list_transform(p.sessions, lambda s: list_transform(s.segments,
                                                                        lambda g: g.segmentEnd is null)))))),
                    false)
            then list_max(list_transform(c.participants, lambda p: list_max(flatten(list_transform(p.sessions,
                lambda s: list_transform(s.segments, lambda g: g.segmentEnd)))))) end) as end_at,
        case when len(acds) <= 1 then acds[1]
             else coalesce(list_filter(acds, lambda a: a.started_at = list_min(list_transform(acds,
                                                                               lambda b: b.started_at)))[1],
                           acds[1]) end as first_acd,
        case when len(handlers) <= 1 then handlers[1]
             else list_filter(handlers, lambda h: h.interact_at = list_min(list_transform(handlers,
                                                                            lambda g: g.interact_at)))[1]
        end as first_handler
    from customer
),

judged as (
    -- the first reason a conversation is not an inbound customer contact; what the export says of its
    -- direction first, then (when it says nothing) what its participants and segments show
    select
        *,
        case
            when kind = 'invalid' then 'not valid JSON'
            when kind = 'bad page' then '"conversations" is not a list'
            when kind = 'other' then 'not a Genesys conversation (no conversationId)'
            when kind in ('container', 'blank', 'status') then null
            when conversation_id is null or conversation_id = '' then 'no conversationId'
            when conversation_end is null and nullif(trim(c.conversationEnd), '') is not null
                then 'conversationEnd is not a date'
            when end_at is null
                then 'conversation in progress (no conversationEnd and a segment has not ended)'
            when lower(c.originatingDirection) is distinct from 'inbound' and (
                    list_bool_or(list_transform(purposes, lambda p: p in ('campaign', 'dialer', 'outbound')))
                    or list_bool_or(list_transform(flatten(list_transform(c.participants,
                                                                          lambda p: p.sessions)),
                                                   lambda s: s.outboundCampaignId is not null)))
                then case when list_bool_or(list_transform(flatten(list_transform(c.participants,
                                                lambda p: p.sessions)),
                                                lambda s: lower(s.mediaType) = 'callback'))
                          then 'outbound campaign preview (dialer)'
                          else 'outbound campaign call (dialer)' end
            when lower(c.originatingDirection) <> 'inbound'
                then 'outbound conversation (only inbound conversations are imported)'
            when customer is null and list_bool_or(list_transform(purposes, lambda p: p in ('agent', 'user')))
                then 'internal call between users (no customer or external participant)'
            when customer is null then 'no customer or external participant'
            when customer.user_id is not null
                then 'internal call between users (the other party is a Genesys user)'
            when c.originatingDirection is null and list_bool_or(list_transform(flatten(list_transform(
                    c.participants, lambda p: p.sessions)), lambda s: coalesce(s.agentOwned, false)))
                then 'callback scheduled by an agent (agent-owned callback)'
            when c.originatingDirection is null and customer.direction = 'outbound'
                then 'outbound conversation (only inbound conversations are imported)'
            when c.originatingDirection is null and (
                    lower(list_sort(list_transform(members[customer_number].segments,
                        lambda g: {'start': g.segmentStart, 'kind': g.segmentType}))[1].kind)
                        in ('dialing', 'contacting')
                    or list_min(list_transform(people, lambda p: case when p.purpose in ('agent', 'user')
                                                                       then p.started_at end))
                        < customer.started_at)
                then case when list_bool_or(list_transform(flatten(list_transform(c.participants,
                                                lambda p: p.sessions)),
                                                lambda s: lower(s.mediaType) = 'callback'))
                          then 'callback placed by an agent (not requested by the customer)'
                          else 'outbound conversation (placed by an agent)' end
            when customer.media_type is null then 'no mediaType on the customer''s session'
            when customer.media_type not in ('voice', 'callback', 'chat', 'webchat', 'email', 'message')
                then 'media type ' || customer.media_type || ' is not a contract channel'
            when len(acds) = 0 and len(handlers) = 0 and c.selfServed is distinct from true
                then 'ended before reaching a queue or an agent (IVR or bot only, not marked selfServed)'
        end as reason
    from firsts
),

shaped as (
    select
        *,
        case
            when len(acds) = 0 and len(handlers) = 0 then 'self_service'
            when customer.media_type in ('voice', 'callback') then 'phone'
            when customer.media_type in ('chat', 'webchat') then 'chat'
            when customer.media_type = 'email' then 'email'
            when customer.message_type = 'sms' then 'sms'
            when customer.message_type in ('facebook', 'twitter', 'x', 'instagram', 'line', 'whatsapp',
                                           'telegram', 'kakao', 'apple', 'wechat', 'viber',
                                           'googlebusinessmessages') then 'social'
            else 'chat'
        end as channel,
        first_handler.interact_at as answered_at,
        coalesce(first_acd.started_at, started_at) as queued_at,
        -- the participant the queue is read from: the first queue, else the first agent
        coalesce(first_acd, first_handler) as routed
    from judged
),

timed as (
    select
        *,
        case
            when queued_at is null or (answered_at is not null and answered_at < queued_at)
                then coalesce(answered_at, customer.started_at, end_at)
            else queued_at
        end as arrived_at,
        case when len(handlers) <= 1 then len(handlers)
             else len(list_distinct(list_transform(handlers,
                 lambda h: coalesce(h.user_id, h.participant_id, 'participant ' || h.number))))
        end as people_count
    from shaped
),

contacts as (
    -- the contract row of a conversation imported as a contact (null for the others)
    select
        line_no,
        kind,
        reason,
        line,
        case when reason is null and kind = 'conversation' then {
            'interaction_id': conversation_id,
            'channel': channel,
            'arrived_at': arrived_at,
            -- the mapping's name for the queue id, else the name the export carries (a segment's or
            -- session's queueName, the acd participant's name), else the id
            'queue': coalesce(
                $queue_names[list_position($queue_ids, routed.queue_id)],
                list_filter(list_transform(members[routed.number].segments, lambda g: g.queueName),
                            lambda q: q is not null)[1],
                list_filter(list_transform(c.participants[routed.number].sessions, lambda s: s.queueName),
                            lambda q: q is not null)[1],
                case when routed.purpose = 'acd' then routed.name end,
                routed.queue_id),
            'answered_at': answered_at,
            'ended_at': greatest(case
                when (list_contains($live_channels, channel) or channel = 'self_service')
                     and customer.ended_at >= arrived_at then customer.ended_at
                else end_at
            end, arrived_at),
            'abandoned': len(acds) > 0 and len(handlers) = 0,
            'talk_seconds': case when len(handlers) = 1 then round(handlers[1].talk_ms / 1000, 3)
                                 when len(handlers) > 1 then round(list_sum(list_transform(handlers,
                                     lambda h: h.talk_ms)) / 1000, 3) end,
            'hold_seconds': case when len(handlers) = 1 then round(handlers[1].hold_ms / 1000, 3)
                                 when len(handlers) > 1 then round(list_sum(list_transform(handlers,
                                     lambda h: h.hold_ms)) / 1000, 3) end,
            'wrap_seconds': case when len(handlers) = 1 then round(handlers[1].wrap_ms / 1000, 3)
                                 when len(handlers) > 1 then round(list_sum(list_transform(handlers,
                                     lambda h: h.wrap_ms)) / 1000, 3) end,
            'agent_id': first_handler.user_id,
            'team': first_handler.team_id,
            'tier': case when len(handlers) > 0 then least(people_count, 3) end,
            'resolved_first_contact': case when len(handlers) > 0 then coalesce(
                list_max(list_transform(c.resolutions, lambda r: case when isfinite(r.nNextContactAvoided)
                                                                      then r.nNextContactAvoided end)) > 0,
                not (people_count > 1 or coalesce(case when len(handlers) = 1 then handlers[1].transfer
                    else list_bool_or(list_transform(handlers, lambda h: h.transfer)) end, false)))
            end,
            'csat_score': null::integer,
            'nps_score': list_sort(list_transform(
                list_filter(c.surveys, lambda s: isfinite(s.surveyPromoterScore)),
                lambda s: {'at': coalesce(s.surveyCompletedDate, s.eventTime),
                           'score': s.surveyPromoterScore}),
                'DESC', 'NULLS LAST')[1].score::integer,
            'ces_score': null::integer,
            -- the number or address without its tel: or sip: scheme
            'customer_id': coalesce(customer.external_id, 'gen-' || left(sha256(case
                when starts_with(customer.address, 'tel:sip:') then customer.address[9:]
                when starts_with(customer.address, 'tel:') or starts_with(customer.address, 'sip:')
                    then customer.address[5:]
                else customer.address end), 16)),
            -- the record's version: the latest moment it says anything about
            'source_updated_at': greatest(end_at, customer.ended_at,
                list_max(list_transform(people, lambda p: p.ended_at)),
                list_max(list_transform(c.surveys, lambda s: greatest(s.eventTime, s.surveyCompletedDate))),
                list_max(list_transform(c.resolutions, lambda r: r.eventTime)))
        } end as contact
    from timed
),

final as (
    select
        $name as source_file,
        line_no,
        kind,
        reason,
        case when reason is not null or kind = 'container' then left(line, $limit) end as record,
        contact.*
    from contacts
)

select * from final
