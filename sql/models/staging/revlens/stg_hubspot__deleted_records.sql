-- Archived and merged-away records of every object type: what staging leaves out, kept visible.
select 'contacts' as object_type, r.id as record_id, r.archived_at, r.merged_into_id, r.updated_at
from {{ source('hubspot', 'contacts') }} as r
where r.is_deleted is true
union all
select 'companies' as object_type, r.id as record_id, r.archived_at, r.merged_into_id, r.updated_at
from {{ source('hubspot', 'companies') }} as r
where r.is_deleted is true
union all
select 'deals' as object_type, r.id as record_id, r.archived_at, r.merged_into_id, r.updated_at
from {{ source('hubspot', 'deals') }} as r
where r.is_deleted is true
union all
select 'calls' as object_type, r.id as record_id, r.archived_at, r.merged_into_id, r.updated_at
from {{ source('hubspot', 'calls') }} as r
where r.is_deleted is true
union all
select 'emails' as object_type, r.id as record_id, r.archived_at, r.merged_into_id, r.updated_at
from {{ source('hubspot', 'emails') }} as r
where r.is_deleted is true
union all
select 'meetings' as object_type, r.id as record_id, r.archived_at, r.merged_into_id, r.updated_at
from {{ source('hubspot', 'meetings') }} as r
where r.is_deleted is true
union all
select 'notes' as object_type, r.id as record_id, r.archived_at, r.merged_into_id, r.updated_at
from {{ source('hubspot', 'notes') }} as r
where r.is_deleted is true
union all
select 'tasks' as object_type, r.id as record_id, r.archived_at, r.merged_into_id, r.updated_at
from {{ source('hubspot', 'tasks') }} as r
where r.is_deleted is true
