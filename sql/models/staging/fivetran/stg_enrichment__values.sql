-- `revlens enrich` writes its results into revlens's own raw layout (enrichment_results); with this landing format
-- there are none, so this is the same shape with no rows and the marts keep HubSpot's values.
select
  cast(null as varchar) as enrichment_key,
  cast(null as varchar) as object_type,
  cast(null as bigint) as record_id,
  cast(null as varchar) as property,
  cast(null as varchar) as value,
  cast(null as varchar) as provider,
  cast(null as timestamp) as received_at
where 1 = 0
