{#
  dbt twins of revlens's built-in SQL macros. `revlens build` expands these calls natively (in C++,
  src/warehouse/sql_dialect.cpp); under dbt these definitions do the same, dispatching on target.type.
  Keep the two in step: tests/unit/models checks that these bodies expand to the same SQL as the C++
  ones for DuckDB and PostgreSQL (string_agg excepted: its default uses dbt.type_string()). Arguments are SQL
  expressions passed as strings, e.g. {{ revlens_days_between('created_at', 'closed_at') }}.
#}

{# Whole calendar days from start to end (dates or timestamps), as BIGINT. #}
{% macro revlens_days_between(start, end) -%}
  {{ return(adapter.dispatch('revlens_days_between')(start, end)) }}
{%- endmacro %}
{% macro default__revlens_days_between(start, end) -%}
  CAST((CAST({{ end }} AS DATE) - CAST({{ start }} AS DATE)) AS BIGINT)
{%- endmacro %}
{% macro duckdb__revlens_days_between(start, end) -%}
  date_diff('day', CAST({{ start }} AS DATE), CAST({{ end }} AS DATE))
{%- endmacro %}
{% macro snowflake__revlens_days_between(start, end) -%}
  datediff('day', CAST({{ start }} AS DATE), CAST({{ end }} AS DATE))
{%- endmacro %}
{% macro bigquery__revlens_days_between(start, end) -%}
  date_diff(CAST({{ end }} AS DATE), CAST({{ start }} AS DATE), DAY)
{%- endmacro %}

{# Epoch milliseconds to a TIMESTAMP without time zone (UTC by convention). #}
{% macro revlens_epoch_ms_to_timestamp(ms) -%}
  {{ return(adapter.dispatch('revlens_epoch_ms_to_timestamp')(ms)) }}
{%- endmacro %}
{% macro default__revlens_epoch_ms_to_timestamp(ms) -%}
  (TIMESTAMP '1970-01-01 00:00:00' + CAST({{ ms }} AS BIGINT) * INTERVAL '1 millisecond')
{%- endmacro %}
{% macro duckdb__revlens_epoch_ms_to_timestamp(ms) -%}
  epoch_ms(CAST({{ ms }} AS BIGINT))
{%- endmacro %}
{% macro snowflake__revlens_epoch_ms_to_timestamp(ms) -%}
  to_timestamp_ntz(CAST({{ ms }} AS BIGINT), 3)
{%- endmacro %}
{% macro bigquery__revlens_epoch_ms_to_timestamp(ms) -%}
  CAST(timestamp_millis(CAST({{ ms }} AS INT64)) AS DATETIME)
{%- endmacro %}

{# x truncated to 'day', 'week', 'month', 'quarter' or 'year', as a DATE. part is a quoted literal. #}
{% macro revlens_date_trunc(part, x) -%}
  {{ return(adapter.dispatch('revlens_date_trunc')(part, x)) }}
{%- endmacro %}
{% macro default__revlens_date_trunc(part, x) -%}
  CAST(date_trunc('{{ part }}', CAST({{ x }} AS TIMESTAMP)) AS DATE)
{%- endmacro %}
{% macro bigquery__revlens_date_trunc(part, x) -%}
  date_trunc(CAST({{ x }} AS DATE), {{ part }})
{%- endmacro %}

{# x as a double, NULL when it is not a number. #}
{% macro revlens_safe_cast_double(x) -%}
  {{ return(adapter.dispatch('revlens_safe_cast_double')(x)) }}
{%- endmacro %}
{% macro default__revlens_safe_cast_double(x) -%}
  TRY_CAST({{ x }} AS DOUBLE)
{%- endmacro %}
{% macro postgres__revlens_safe_cast_double(x) -%}
  (CASE WHEN CAST({{ x }} AS TEXT) ~ '^\s*[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$' THEN CAST(CAST({{ x }} AS TEXT) AS DOUBLE PRECISION) END)
{%- endmacro %}
{% macro redshift__revlens_safe_cast_double(x) -%}
  {{ postgres__revlens_safe_cast_double(x) }}
{%- endmacro %}
{% macro bigquery__revlens_safe_cast_double(x) -%}
  SAFE_CAST({{ x }} AS FLOAT64)
{%- endmacro %}

{# Aggregate x as text joined by delimiter (a quoted SQL literal), optionally ordered. #}
{% macro revlens_string_agg(x, delimiter, order_by=none) -%}
  {{ return(adapter.dispatch('revlens_string_agg')(x, delimiter, order_by)) }}
{%- endmacro %}
{% macro default__revlens_string_agg(x, delimiter, order_by) -%}
  string_agg(CAST({{ x }} AS {{ dbt.type_string() }}), {{ delimiter }}{% if order_by %} ORDER BY {{ order_by }}{% endif %})
{%- endmacro %}
{% macro snowflake__revlens_string_agg(x, delimiter, order_by) -%}
  listagg(CAST({{ x }} AS VARCHAR), {{ delimiter }}){% if order_by %} WITHIN GROUP (ORDER BY {{ order_by }}){% endif %}
{%- endmacro %}

{# date plus n days, as a DATE. #}
{% macro revlens_date_add_days(date, n) -%}
  {{ return(adapter.dispatch('revlens_date_add_days')(date, n)) }}
{%- endmacro %}
{% macro default__revlens_date_add_days(date, n) -%}
  CAST(CAST({{ date }} AS DATE) + CAST({{ n }} AS INTEGER) AS DATE)
{%- endmacro %}
{% macro snowflake__revlens_date_add_days(date, n) -%}
  dateadd('day', {{ n }}, CAST({{ date }} AS DATE))
{%- endmacro %}
{% macro bigquery__revlens_date_add_days(date, n) -%}
  date_add(CAST({{ date }} AS DATE), INTERVAL {{ n }} DAY)
{%- endmacro %}

{# A subquery with one row per day from start to end inclusive, column date_day. #}
{% macro revlens_date_spine(start, end) -%}
  {{ return(adapter.dispatch('revlens_date_spine')(start, end)) }}
{%- endmacro %}
{% macro default__revlens_date_spine(start, end) -%}
  (SELECT CAST(spine.d AS DATE) AS date_day FROM generate_series(CAST({{ start }} AS TIMESTAMP), CAST({{ end }} AS TIMESTAMP), INTERVAL '1 day') AS spine(d))
{%- endmacro %}
{% macro bigquery__revlens_date_spine(start, end) -%}
  (SELECT date_day FROM unnest(generate_date_array(CAST({{ start }} AS DATE), CAST({{ end }} AS DATE))) AS date_day)
{%- endmacro %}
