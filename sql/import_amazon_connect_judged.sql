-- What the judging of an Amazon Connect import decided (ctr_chains, the output of
-- import_amazon_connect_chains.sql): the chains that reached no queue and no agent, contained
-- self-service or set aside, for the import summary's notes and the set-aside rows' reasons.
-- grain: one row per judged chain. params: none (reads ctr_chains).
-- output: self_service (contained, drop, unknown), decided_by (attribute, email, duration, no end time),
--         attribute_key, channel_type, source_file, source_row, record (for a drop or unknown).
with final as (
    select
        self_service,
        decided_by,
        attribute_key,
        judged_channel as channel_type,
        source_file,
        source_row,
        record
    from ctr_chains
    where self_service is not null
)

select * from final
