#include "app.hpp"

int main(int argc, char** argv)
{
    return volumecli::cli::run(argc, argv);
}
