/*
 * quickstart.c - libkmeans from C, with no file I/O: fit K-Means on points
 * in memory, then predict, transform and score new points.
 *
 *   cc quickstart.c -Iinclude -Lbuild -lkmeans -fopenmp -lopenblas -lm
 */
#include <stdio.h>
#include <stdlib.h>

#include "kmeans.h"

int main(void)
{
    /* Two groups of three points in the plane. */
    const double X[] = {1, 2, 1, 4, 1, 0, 10, 2, 10, 4, 10, 0};
    const double X_new[] = {0, 0, 12, 3};
    km_params params;
    km_model *model = NULL;
    int32_t labels[6], pred[2];
    double centers[4], dist[4], score;
    int status;

    km_params_init(&params); /* scikit-learn's defaults */
    params.n_clusters = 2;
    params.seed = 0;
    status = km_fit_f64(&params, X, 6, 2, NULL, &model, labels);
    if (status != KM_OK) {
        fprintf(stderr, "fit failed: %s\n", km_strerror(status));
        return 1;
    }
    km_model_centers_f64(model, centers);
    printf("centers: (%g, %g) (%g, %g)\n", centers[0], centers[1], centers[2],
           centers[3]);
    printf("labels:");
    for (int i = 0; i < 6; i++)
        printf(" %d", labels[i]);
    printf("\ninertia: %g after %d iterations\n", km_model_inertia(model),
           km_model_n_iter(model));

    if (km_predict_f64(model, X_new, 2, 2, pred, NULL, 0) != KM_OK ||
        km_transform_f64(model, X_new, 2, 2, dist, 0) != KM_OK ||
        km_score_f64(model, X_new, 2, 2, NULL, &score, 0) != KM_OK) {
        km_model_free(model);
        return 1;
    }
    printf("new points go to clusters %d and %d\n", pred[0], pred[1]);
    printf("distances: [%.3f %.3f] [%.3f %.3f]\n", dist[0], dist[1], dist[2],
           dist[3]);
    printf("score: %g\n", score);
    km_model_free(model);
    return 0;
}
