using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace AsyncGrader.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>Configures <see cref="GraderDbContext"/> for PostgreSQL with the migrations assembly.</summary>
    public static DbContextOptionsBuilder UseGraderPostgres(this DbContextOptionsBuilder options, string connectionString) =>
        options.UseNpgsql(connectionString, ConfigureNpgsql);

    /// <summary>The same, over a shared <see cref="NpgsqlDataSource"/> (one connection pool for EF Core and raw Npgsql).</summary>
    public static DbContextOptionsBuilder UseGraderPostgres(this DbContextOptionsBuilder options, NpgsqlDataSource dataSource) =>
        options.UseNpgsql(dataSource, ConfigureNpgsql);

    private static void ConfigureNpgsql(Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure.NpgsqlDbContextOptionsBuilder npgsql)
    {
        npgsql.MigrationsAssembly(GraderDbContext.MigrationsAssembly);
        npgsql.MigrationsHistoryTable("__ef_migrations_history");
    }

    /// <summary>
    /// Registers one <see cref="NpgsqlDataSource"/> (its connection pool serves EF Core and the
    /// worker's raw Npgsql hot path alike) and a pooled <see cref="IDbContextFactory{GraderDbContext}"/>
    /// over it (and the context).
    /// </summary>
    public static IServiceCollection AddGraderData(this IServiceCollection services, string connectionString)
    {
        services.AddSingleton(_ =>
        {
            var data = new NpgsqlDataSourceBuilder(connectionString);
            // The worker's few hot statements run thousands of times: let Npgsql prepare them.
            if (data.ConnectionStringBuilder.MaxAutoPrepare == 0) data.ConnectionStringBuilder.MaxAutoPrepare = 64;
            return data.Build();
        });
        services.AddPooledDbContextFactory<GraderDbContext>((sp, o) => o.UseGraderPostgres(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<GraderDbContext>>().CreateDbContext());
        return services;
    }
}
